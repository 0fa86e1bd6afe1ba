import type { DeltaFilter } from '@suite/ctm-mail/delta';
import { OptionScanner } from '../option-scanner.js';
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

const WITH_ARGUMENT = new Set(['b', 'B', 'd', 'e', 'm', 'r', 'R', 't', 'T', 'V', 'x']);
const KNOWN = new Set([...WITH_ARGUMENT, 'a', 'c', 'F', 'k', 'l', 'p', 'P', 'q', 'u', 'v']);

/**
 * Parses ctm's options; like BSD getopt it stops at the first operand or at `--`. The one long option,
 * `--keyring FILE`, is the suite's.
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
  const scan = new OptionScanner(takeKeyring(argv, o), (name) => WITH_ARGUMENT.has(name.slice(1)), {
    long: false,
  });
  for (const { name, value, missing } of scan) {
    const c = name.slice(1);
    if (!KNOWN.has(c)) {
      o.warnings.push(`option '${c}' not supported`);
      o.errors++;
    } else if (missing) {
      o.warnings.push(`option '${c}' requires an argument`);
      o.errors++;
    } else apply(o, c, value ?? '');
  }
  o.files = scan.operands;
  return o;
}

/**
 * Takes the suite's `--keyring FILE` (or `--keyring=FILE`) out of the options, wherever it stands among them, and
 * returns the rest for getopt. getopt would read it as the letters `-`, `k`, `e`..., an error: no command line that
 * worked with the original means anything else.
 */
function takeKeyring(argv: readonly string[], o: CtmOptions): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--keyring' || arg.startsWith('--keyring=')) {
      const value = arg === '--keyring' ? argv[++i] : arg.slice('--keyring='.length);
      if (value) o.keyring = value;
      else {
        o.warnings.push("option '--keyring' requires an argument");
        o.errors++;
      }
      continue;
    }
    rest.push(arg);
    if (arg === '--' || arg === '-' || !arg.startsWith('-')) {
      rest.push(...argv.slice(i + 1));
      break;
    }
    // A letter that takes a value takes the rest of its word, or else the next argument.
    for (let j = 1; j < arg.length; j++) {
      if (!WITH_ARGUMENT.has(arg[j]!)) continue;
      if (j === arg.length - 1 && i + 1 < argv.length) rest.push(argv[++i]!);
      break;
    }
  }
  return rest;
}

function apply(o: CtmOptions, c: string, value: string): void {
  switch (c) {
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
