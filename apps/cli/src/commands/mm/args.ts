import { type CommandLineSpec, GetoptError, readLongOption } from '../../shared/getopt.js';

/** mm's command line: the original's flags, mm's own long options, and the config files. */
export interface MmArgs {
  /** `-t`: ignore the retry timers. */
  readonly ignoreTimers: boolean;
  /**
   * `-oPATTERN` (or `-o PATTERN`): run only the jobs whose `site:package` the regular expression matches, as in
   * mm.pl; the last `-o` wins.
   */
  readonly only: string | undefined;
  /** `-debug`, once per level. */
  readonly debug: number;
  /** `-s`: print each status change. */
  readonly statusDebug: boolean;
  /** Flags mm does not understand: passed to mirror in `$args`. */
  readonly mirrorArgs: readonly string[];
  /** Config files; none means standard input. */
  readonly files: readonly string[];
  readonly status: boolean;
  /** `--html [FILE]` (with --status): the status page to FILE, `-` (standard output) if none. */
  readonly html: string | undefined;
  readonly json: boolean;
  readonly quiet: boolean;
  /** `--verbose`: a log line on stdout for each job started, ended or skipped, and a summary line. */
  readonly verbose: boolean;
  readonly dryRun: boolean;
  /** `--why site:package`: explain why that job would or would not run. */
  readonly why: string | undefined;
  /** `--grace SECONDS` between SIGTERM and SIGKILL when stopping jobs. */
  readonly graceSeconds: number;
  readonly help: boolean;
  /** `--version`. */
  readonly version: boolean;
}

/** A command-line mistake: mm prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** mm's own options: all long (mirror never takes one), exact names only, as mm.pl's own argument loop. */
const LONG: CommandLineSpec = {
  mode: 'bsd',
  options: [
    ...['status', 'json', 'quiet', 'verbose', 'dry-run', 'help', 'version'].map((long) => ({ long })),
    { long: 'why', arg: 'required' },
    { long: 'grace', arg: 'required' },
    { long: 'html', arg: 'optional' },
  ],
};

/**
 * Parses mm's arguments. Single-dash words are mm.pl's, each one whole option (`-t`, `-s`, `-debug`, `-oPATTERN`
 * or `-o PATTERN`); any other goes to mirror (as in the original). mm's own options are all `--long`, which mirror
 * never takes, so they cannot collide; they are read by the suite's option parser. Options stop at the first file
 * or `--`.
 */
export function parseMmArgs(argv: readonly string[]): MmArgs {
  let ignoreTimers = false;
  let debug = 0;
  let statusDebug = false;
  let only: string | undefined;
  const mirrorArgs: string[] = [];
  const long = new Map<string, string>();
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) break;
    if (arg.startsWith('--')) {
      let option: ReturnType<typeof readLongOption>;
      try {
        option = readLongOption(arg, LONG);
      } catch (error) {
        if (!(error instanceof GetoptError)) throw error;
        if (error.kind === 'no-argument') throw new UsageError(`${error.option} takes no value`);
        throw new UsageError(`unknown option ${error.option}`);
      }
      if (option.key === 'html') {
        // FILE is optional: taken if attached (--html=FILE) or if the next argument names an HTML file (or -).
        const next = argv[i + 1];
        if (option.value !== undefined) long.set('html', option.value);
        else if (next !== undefined && (next === '-' || /\.html?$/i.test(next))) long.set('html', argv[++i]!);
        else long.set('html', '-');
      } else long.set(option.key, option.value ?? (option.arg === 'required' ? value(option.name) : ''));
    } else if (arg === '-t') ignoreTimers = true;
    else if (arg === '-s') statusDebug = true;
    else if (arg === '-debug') debug += 1;
    else if (arg === '-o') only = value('-o');
    else if (arg.startsWith('-o')) only = arg.slice(2);
    else mirrorArgs.push(arg);
  }
  const grace = long.has('grace') ? Number(long.get('grace')) : 10;
  if (!Number.isFinite(grace) || grace < 0)
    throw new UsageError(`--grace ${long.get('grace')}: not a number of seconds`);
  return {
    ignoreTimers,
    only,
    debug,
    statusDebug,
    mirrorArgs,
    files: argv.slice(i),
    status: long.has('status'),
    html: long.get('html'),
    json: long.has('json'),
    quiet: long.has('quiet'),
    verbose: long.has('verbose'),
    dryRun: long.has('dry-run'),
    why: long.get('why'),
    graceSeconds: grace,
    help: long.has('help'),
    version: long.has('version'),
  };
}

export const MM_USAGE = `Usage: mm [-t] [-oPATTERN] [-debug]... [-s] [--verbose] [mirror-flags...] [config-file...]
       mm --status [--json | --html [FILE.html]] [config-file...]
       mm serve [--listen HOST:PORT] [config-file...]
       mm --dry-run [--json] | --why site:package [flags] [config-file...]
       mm --fleet URL [flags] [config-file...] | mm worker --fleet URL [--max N]   (mm --fleet URL --help)

Runs the mirror jobs of the config files (standard input if none) in parallel.
  -t                  ignore the retry timers (locks still apply)
  -oPATTERN           run only the jobs whose site:package matches the regular expression
                      (the last -o wins; -o PATTERN with a space works too)
  -debug              more debugging output (repeat for more)
  -s                  print each status change
  -anything-else      passed to mirror in $args
  --status            print a table of all jobs: last result, last run, next eligible, locked by
  --json              with --status or --dry-run: print JSON for machines
  --html [FILE.html]  with --status: write the status page (replaced atomically; standard output if no FILE)
  --dry-run           run nothing; say for each job whether it would run, and why not
  --why site:package  say why that job would or would not run now
  --verbose           a line on stdout for each job started, ended or skipped, and a summary
                      (mm's own options are long: -v and the like go to mirror)
  --quiet             no live view on a terminal: as quiet as under cron
  --grace SECONDS     wait between SIGTERM and SIGKILL when stopping jobs (default 10)
  --help, --version   print this help, or the version, and exit

Exit status: 0 every job that ran succeeded, 1 a job (or cmd=) failed or mm was stopped, 2 configuration error.
`;

/** The `-o` pattern as a regular expression (Perl's and JavaScript's agree on everyday patterns). */
export function onlyPattern(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new UsageError(`-o ${pattern}: not a regular expression (${(error as Error).message})`);
  }
}
