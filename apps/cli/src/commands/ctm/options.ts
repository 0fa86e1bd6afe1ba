import type { DeltaFilter } from '@suite/ctm-mail/delta';
import { CommandLine, type CommandLineSpec } from '../../shared/getopt.js';
import { basicRegExp } from './bre.js';

/** ctm(1)'s command line, as getopt("ab:B:cd:e:Fklm:pPqr:R:t:T:uV:vx:") reads it. */
export interface CtmOptions {
  basedir?: string;
  backupFile?: string;
  tarCommand: string;
  check: boolean;
  force: boolean;
  keep: boolean;
  list: boolean;
  setTimes: boolean;
  verbose: number;
  filters: DeltaFilter[];
  /** --keyring FILE (a suite addition): apply only deltas with a good signature `DELTA.asc` by one of its keys. */
  keyring?: string;
  files: string[];
  /** Messages about the options (each printed as `ctm: ...`). */
  warnings: string[];
  /** How many of them are errors (the original then exits 2). */
  errors: number;
}

/**
 * getopt("ab:B:cd:e:Fklm:pPqr:R:t:T:uV:vx:") as BSD getopt reads it, and the suite's `--keyring FILE`; any other
 * `--word` is letters to getopt (so `--foo` is `option '-' not supported`...).
 */
const SPEC: CommandLineSpec = {
  mode: 'bsd',
  unknownLong: 'letters',
  options: [
    ...[...'acFklpPquv'].map((short) => ({ short })),
    ...[...'bBdemrRtTVx'].map((short) => ({ short, arg: 'required' as const })),
    { long: 'keyring', arg: 'required' },
  ],
};

/**
 * Parses ctm's options; like BSD getopt it stops at the first operand or at `--`, and goes on after a bad option
 * (each is a warning; the original then exits 2). The one long option, `--keyring FILE`, is the suite's.
 */
export function parseCtmOptions(argv: readonly string[]): CtmOptions {
  const o: CtmOptions = {
    tarCommand: 'tar -rf %s -T -',
    check: false,
    force: false,
    keep: false,
    list: false,
    setTimes: false,
    verbose: 1,
    filters: [],
    files: [],
    warnings: [],
    errors: 0,
  };
  const line = new CommandLine(argv, SPEC, (error) => {
    o.warnings.push(error.message);
    o.errors++;
  });
  for (const { key, value } of line) apply(o, key, value ?? '');
  o.files = line.operands;
  return o;
}

function apply(o: CtmOptions, c: string, value: string): void {
  switch (c) {
    case 'keyring':
      if (value) o.keyring = value;
      else {
        o.warnings.push("option '--keyring' requires an argument");
        o.errors++;
      }
      break;
    case 'b':
      o.basedir = value;
      break;
    case 'B':
      o.backupFile = value;
      break;
    case 'c':
      o.check = true;
      break;
    case 'F':
      o.force = true;
      break;
    case 'k':
      o.keep = true;
      break;
    case 'l':
      o.list = true;
      break;
    case 'q':
      o.verbose--;
      break;
    case 'v':
      o.verbose++;
      break;
    case 'V': {
      const n = Number.parseInt(value, 10);
      if (Number.isNaN(n)) {
        o.warnings.push(`option 'V' needs a number, not "${value}"`);
        o.errors++;
      } else o.verbose += n;
      break;
    }
    case 'u':
      o.setTimes = true;
      break;
    case 't':
      o.tarCommand = value;
      break;
    case 'T': // temporary files go beside their target (for an atomic rename); accepted for compatibility
    case 'p': // paranoia levels: the checks are always on
    case 'P':
      break;
    case 'e':
    case 'x':
      try {
        // Names are byte strings: the pattern, UTF-8 on the command line, is matched as its bytes too.
        o.filters.push({ include: c === 'e', pattern: basicRegExp(Buffer.from(value).toString('latin1')) });
      } catch (error) {
        o.warnings.push(`regular expression: "${(error as Error).message}"`);
        o.errors++;
      }
      break;
    default:
      o.warnings.push(`option '${c}' not yet implemented`);
  }
}
