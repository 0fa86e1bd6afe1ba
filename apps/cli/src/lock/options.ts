import { OptionScanner } from '../option-scanner.js';

/** What `lock` was asked to do. */
export interface LockCommand {
  readonly kind: 'run';
  readonly path: string;
  /** Seconds to wait for the lock; Infinity waits as long as it takes (flock's default). */
  readonly timeout: number;
  /** Seconds after which a lock held from another host with no heartbeat counts as stale. */
  readonly stale: number | undefined;
  /** Exit status when the lock is held (flock's -E). */
  readonly conflictExitCode: number;
  readonly verbose: boolean;
  /** The program and its arguments. */
  readonly argv: readonly string[];
}

/** The command line, parsed: a command to run, a request for help or the version, or a usage error. */
export type ParsedArgs =
  | LockCommand
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage'; readonly message: string };

/** `lock --help`. */
export const USAGE = `Usage:
 lock [options] LOCKPATH [--] COMMAND [ARGUMENTS...]
 lock [options] LOCKPATH -c SHELL-COMMAND

Run COMMAND while holding the lock on LOCKPATH, like flock(1); exit with its status.
The lock is the directory LOCKPATH.lock (LOCKPATH itself need not exist, only its directory),
the same lock @suite/lockfile's acquire(LOCKPATH) takes.

Options:
 -w, --wait, --timeout SEC    fail if the lock is not acquired within SEC seconds
                              (decimals allowed; 0 is the same as --nonblock; default: wait)
 -n, --nb, --nonblock         fail at once if the lock is held
 -E, --conflict-exit-code N   exit status when the lock is held (default 1)
     --stale SEC              a lock from another host whose heartbeat is older than SEC
                              seconds is stale (default 10); on this host a lock is stale
                              exactly when its holder is dead
 -c, --command SHELL-COMMAND  run SHELL-COMMAND with sh -c
     --verbose                say how long getting the lock took
 -h, --help                   display this help
 -V, --version                display the version

Exit status: COMMAND's status (128+N when killed by signal N); 1 (or -E) when the lock is held;
64 usage error; 66 the lock cannot be created; 69 COMMAND cannot be executed.
`;

const UNSUPPORTED: Record<string, string> = {
  '-s': 'shared locks are not supported',
  '--shared': 'shared locks are not supported',
  '-u': 'unlocking a descriptor is not supported',
  '--unlock': 'unlocking a descriptor is not supported',
  '-o': '--close is not supported',
  '--close': '--close is not supported',
  '-F': '--no-fork is not supported',
  '--no-fork': '--no-fork is not supported',
};

function seconds(option: string, text: string | undefined): number | string {
  if (text === undefined) return `option '${option}' requires an argument`;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) return `invalid ${option} value: '${text}'`;
  return value;
}

const LONG_OPTIONS = [
  '--help',
  '--version',
  '--nb',
  '--nonblock',
  '--wait',
  '--timeout',
  '--stale',
  '--conflict-exit-code',
  '--command',
  '--verbose',
  '--exclusive',
  '--shared',
  '--unlock',
  '--close',
  '--no-fork',
];
const TAKES_VALUE = new Set([
  '-w',
  '--wait',
  '--timeout',
  '--stale',
  '-E',
  '--conflict-exit-code',
  '-c',
  '--command',
]);
const SHORT_OPTIONS = new Set(['-h', '-V', '-n', '-w', '-E', '-c', '-x', '-e', '-s', '-u', '-o', '-F']);

/** A long option by its full name or, as getopt_long allows, an unambiguous prefix. */
function longOption(name: string): string | { message: string } {
  if (LONG_OPTIONS.includes(name)) return name;
  const matches = LONG_OPTIONS.filter((option) => option.startsWith(name));
  if (matches.length === 1) return matches[0]!;
  return { message: matches.length > 1 ? `option '${name}' is ambiguous` : `unrecognized option '${name}'` };
}

/** Parses `lock`'s arguments the way flock(1) does: options first, then LOCKPATH, then the command. */
export function parseArgs(args: readonly string[]): ParsedArgs {
  let timeout = Number.POSITIVE_INFINITY;
  let stale: number | undefined;
  let conflictExitCode = 1;
  let verbose = false;
  let shellCommand: string | undefined;

  /** Applies one option; a result ends the parse (help, version, usage error). */
  function apply(name: string, value: string | undefined): ParsedArgs | undefined {
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '-V':
      case '--version':
        return { kind: 'version' };
      case '-n':
      case '--nb':
      case '--nonblock':
        timeout = 0;
        return undefined;
      case '-w':
      case '--wait':
      case '--timeout':
      case '--stale': {
        const parsed = seconds(name, value);
        if (typeof parsed === 'string') return { kind: 'usage', message: parsed };
        if (name === '--stale') stale = parsed;
        else timeout = parsed;
        return undefined;
      }
      case '-E':
      case '--conflict-exit-code': {
        const code = Number(value);
        if (value === undefined || !/^\d+$/.test(value) || code > 255) {
          return { kind: 'usage', message: `invalid exit code: '${value ?? ''}' (0 to 255)` };
        }
        conflictExitCode = code;
        return undefined;
      }
      case '-c':
      case '--command':
        if (value === undefined) return { kind: 'usage', message: `option '${name}' requires an argument` };
        shellCommand = value;
        return undefined;
      case '--verbose':
        verbose = true;
        return undefined;
      case '-x':
      case '-e':
      case '--exclusive':
        return undefined;
      default:
        return { kind: 'usage', message: UNSUPPORTED[name] ?? `unrecognized option '${name}'` };
    }
  }

  const takesValue = (name: string) => {
    const long = name.startsWith('--') ? longOption(name) : name;
    return typeof long === 'string' && TAKES_VALUE.has(long);
  };
  const scan = new OptionScanner(args, takesValue);
  for (const option of scan) {
    let name = option.name;
    if (name.startsWith('--')) {
      const long = longOption(name);
      if (typeof long !== 'string') return { kind: 'usage', ...long };
      if (option.attached && !TAKES_VALUE.has(long)) {
        return { kind: 'usage', message: `option '${long}' doesn't allow an argument` };
      }
      name = long;
    } else if (!SHORT_OPTIONS.has(name)) {
      return { kind: 'usage', message: `invalid option -- '${name.slice(1)}'` };
    } else if (option.missing) {
      return { kind: 'usage', message: `option requires an argument -- '${name.slice(1)}'` };
    }
    const result = apply(name, option.value);
    if (result !== undefined) return result;
  }
  const [path, ...operands] = scan.operands;
  if (path === undefined) return { kind: 'usage', message: 'not enough arguments' };
  let rest = operands;
  if (rest[0] === '--') rest = rest.slice(1);
  else if (rest[0] === '-c' || rest[0] === '--command') {
    if (rest.length !== 2)
      return { kind: 'usage', message: `${rest[0]} requires exactly one command argument` };
    shellCommand = rest[1];
    rest = [];
  }
  if (/^\d+$/.test(path) && rest.length === 0 && shellCommand === undefined) {
    return {
      kind: 'usage',
      message: `locking a file descriptor (${path}) is not supported: give a path and a command`,
    };
  }
  if (shellCommand !== undefined) {
    if (rest.length > 0)
      return { kind: 'usage', message: 'give either -c SHELL-COMMAND or COMMAND, not both' };
    rest = ['/bin/sh', '-c', shellCommand];
  }
  if (rest.length === 0) return { kind: 'usage', message: 'no command to run' };
  return { kind: 'run', path, timeout, stale, conflictExitCode, verbose, argv: rest };
}
