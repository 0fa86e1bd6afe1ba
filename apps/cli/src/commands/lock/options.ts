import { CommandLine, type CommandLineSpec, GetoptError } from '../../shared/getopt.js';

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
  /** A shared lock (-s), as flock's LOCK_SH: many shared holders at once, or one exclusive. */
  readonly shared: boolean;
  /**
   * -o/--close: the command does not keep the lock alive. flock(1) closes the lock's descriptor in the command, so
   * the lock goes when flock itself does; here the command's pid is not recorded in the lock, with that effect.
   */
  readonly close: boolean;
  /** The program and its arguments. */
  readonly argv: readonly string[];
}

/** The command line, parsed: a command to run, a request for help or the version, or a usage error. */
export type ParsedArgs =
  | LockCommand
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage'; readonly message: string }
  /** An error flock reports without the --help hint, with its own exit status. */
  | { readonly kind: 'error'; readonly message: string; readonly status: number };

/** `lock --help`. */
export const USAGE = `Usage:
 lock [options] LOCKPATH [--] COMMAND [ARGUMENTS...]
 lock [options] LOCKPATH -c SHELL-COMMAND

Run COMMAND while holding the lock on LOCKPATH, like flock(1); exit with its status.
The lock is the directory LOCKPATH.lock (LOCKPATH itself need not exist, only its directory),
the same lock @suite/lockfile's acquire(LOCKPATH) takes.

Options:
 -s, --shared                 get a shared lock (many shared holders, or one exclusive)
 -x, -e, --exclusive          get an exclusive lock (the default)
 -w, --wait, --timeout SEC    fail if the lock is not acquired within SEC seconds
                              (decimals allowed; 0 is the same as --nonblock; default: wait)
 -n, --nb, --nonblock         fail at once if the lock is held
 -E, --conflict-exit-code N   exit status when the lock is held (default 1)
     --stale SEC              a lock from another host whose heartbeat is older than SEC
                              seconds is stale (default 10); on this host a lock is stale
                              exactly when its holder is dead
 -c, --command SHELL-COMMAND  run SHELL-COMMAND with $SHELL -c (sh when SHELL is unset)
 -o, --close                  the command does not keep the lock: if lock itself dies,
                              the lock is free even while the command still runs
     --verbose                say how long getting the lock took (on stdout)
 -h, --help                   display this help
 -V, --version                display the version

Exit status: COMMAND's status (128+N when killed by signal N); 1 (or -E) when the lock is held;
64 usage error; 66 the lock cannot be created; 69 COMMAND cannot be executed.

lock and flock(1) do not exclude each other: flock(1) uses flock(2) on the file, lock a directory.
`;

const UNSUPPORTED: Record<string, string> = {
  '-u': 'unlocking a descriptor is not supported: a lock is released when its command ends',
  '--unlock': 'unlocking a descriptor is not supported: a lock is released when its command ends',
  '-F': '--no-fork is not supported: lock stays to hold the lock while the command runs',
  '--no-fork': '--no-fork is not supported: lock stays to hold the lock while the command runs',
};

/** sysexits' EX_USAGE and EX_OSERR, flock's statuses for a bad number and for a timer it cannot set. */
const EX_USAGE = 64;
const EX_OSERR = 71;
const ERANGE = 'Numerical result out of range';

/** strtold(3)'s syntax: decimal or hexadecimal floating point, inf, infinity, nan, after optional white space. */
const STRTOLD =
  /^[ \t\n\v\f\r]*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX](?:[\da-fA-F]+\.?[\da-fA-F]*|\.[\da-fA-F]+)(?:[pP][+-]?\d+)?|inf(?:inity)?|nan(?:\([\w]*\))?)$/i;

/** strtold's value of text that matched {@link STRTOLD}. */
function strtold(text: string): number {
  const t = text.trim().toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (body.startsWith('inf')) return sign * Number.POSITIVE_INFINITY;
  if (body.startsWith('nan')) return Number.NaN;
  if (!body.startsWith('0x')) return sign * Number(body);
  const [mantissa = '', exponent = '0'] = body.slice(2).split('p');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const value =
    Number.parseInt(whole || '0', 16) +
    (fraction ? Number.parseInt(fraction, 16) / 16 ** fraction.length : 0);
  return sign * value * 2 ** Number(exponent);
}

/**
 * -w's argument as flock reads it (util-linux strtotimeval_or_err, then its timer): not a number is
 * `invalid timeout value: 'x'` (64); too large for a double adds strerror(ERANGE) (64); a value the timer refuses
 * (negative, inf, nan) is `cannot set up timer: Invalid argument` (71, EX_OSERR).
 */
function timeoutValue(text: string): number | ParsedArgs {
  if (!STRTOLD.test(text))
    return { kind: 'error', message: `invalid timeout value: '${text}'`, status: EX_USAGE };
  const value = strtold(text);
  if (Number.isNaN(value) && !/nan/i.test(text)) {
    return { kind: 'error', message: `invalid timeout value: '${text}': ${ERANGE}`, status: EX_USAGE };
  }
  if (!Number.isFinite(value) && !/inf/i.test(text)) {
    return { kind: 'error', message: `invalid timeout value: '${text}': ${ERANGE}`, status: EX_USAGE };
  }
  if (!(value >= 0) || !Number.isFinite(value)) {
    return { kind: 'error', message: 'cannot set up timer: Invalid argument', status: EX_OSERR };
  }
  // flock keeps whole microseconds: less than one is -w 0, the same as --nonblock.
  return Math.floor(value * 1_000_000) / 1_000_000;
}

/**
 * -E's argument as flock reads it (util-linux strtos32_or_err, then its range check), with its messages.
 */
function exitCodeValue(text: string): number | ParsedArgs {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(text);
  if (match === null) return { kind: 'error', message: `invalid exit code: '${text}'`, status: EX_USAGE };
  const value = Number(match[1]);
  if (value < -(2 ** 31) || value > 2 ** 31 - 1) {
    return { kind: 'error', message: `invalid exit code: '${text}': ${ERANGE}`, status: EX_USAGE };
  }
  if (value < 0 || value > 255) {
    return { kind: 'error', message: 'exit code out of range (expected 0 to 255)', status: EX_USAGE };
  }
  return value;
}

function staleSeconds(option: string, text: string): number | ParsedArgs {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    return { kind: 'usage', message: `invalid ${option} value: '${text}'` };
  }
  return value;
}

/** What `lock 9` (flock's descriptor form) gets instead of a lock. */
export function descriptorFormMessage(fd: string): string {
  return (
    `locking a file descriptor (${fd}) is not supported: a lock here is held by a process, and lock would ` +
    'exit at once (only flock(2) can leave a lock on a descriptor the shell keeps); ' +
    "run the locked commands under lock instead: lock LOCKPATH -c 'COMMANDS'"
  );
}

/**
 * flock(1)'s options as its getopt_long reads them (`+`: the first operand ends the options), with `--stale`,
 * `--verbose` and `-o` of this suite; the unsupported -u and -F are read, then refused with a reason.
 */
const SPEC: CommandLineSpec = {
  mode: 'gnu',
  inOrder: true,
  options: [
    { short: 'h', long: 'help' },
    { short: 'V', long: 'version' },
    { short: 'n', long: 'nb' },
    { long: 'nonblock', key: 'n' },
    { short: 'w', long: 'wait', arg: 'required' },
    { long: 'timeout', arg: 'required', key: 'w' },
    { long: 'stale', arg: 'required' },
    { short: 'E', long: 'conflict-exit-code', arg: 'required' },
    { short: 'c', long: 'command', arg: 'required' },
    { long: 'verbose' },
    { short: 'x', long: 'exclusive' },
    { short: 'e', key: 'x' },
    { short: 's', long: 'shared' },
    { short: 'u', long: 'unlock' },
    { short: 'o', long: 'close' },
    { short: 'F', long: 'no-fork' },
  ],
};

/** flock's shell for -c: $SHELL, or sh when it is unset or empty. */
function shell(): string {
  return process.env.SHELL || '/bin/sh';
}

/** Parses `lock`'s arguments the way flock(1) does: options first, then LOCKPATH, then the command. */
export function parseArgs(args: readonly string[]): ParsedArgs {
  let timeout = Number.POSITIVE_INFINITY;
  let stale: number | undefined;
  let conflictExitCode = 1;
  let verbose = false;
  let shared = false;
  let close = false;
  let noFork = false;
  let shellCommand: string | undefined;

  /** Applies one option; a result ends the parse (help, version, usage error). */
  function apply(key: string, name: string, value: string): ParsedArgs | undefined {
    switch (key) {
      case 'h':
        return { kind: 'help' };
      case 'V':
        return { kind: 'version' };
      case 'n':
        timeout = 0;
        return undefined;
      case 'w': {
        const parsed = timeoutValue(value);
        if (typeof parsed !== 'number') return parsed;
        timeout = parsed;
        return undefined;
      }
      case 'stale': {
        const parsed = staleSeconds(name, value);
        if (typeof parsed !== 'number') return parsed;
        stale = parsed;
        return undefined;
      }
      case 'E': {
        const parsed = exitCodeValue(value);
        if (typeof parsed !== 'number') return parsed;
        conflictExitCode = parsed;
        return undefined;
      }
      case 'c':
        shellCommand = value;
        return undefined;
      case 'verbose':
        verbose = true;
        return undefined;
      case 'x':
        shared = false;
        return undefined;
      case 's':
        shared = true;
        return undefined;
      case 'o':
        close = true;
        return undefined;
      case 'u':
        return { kind: 'usage', message: UNSUPPORTED[name]! };
      default: // 'F'
        noFork = true; // refused once the whole command line is read (flock first checks it against -o)
        return undefined;
    }
  }

  const line = new CommandLine(args, SPEC);
  try {
    for (const option of line) {
      const result = apply(option.key, option.name, option.value ?? '');
      if (result !== undefined) return result;
    }
  } catch (error) {
    if (!(error instanceof GetoptError)) throw error;
    // glibc's words, but without the list of possibilities, and naming an unknown option without its value.
    if (error.kind === 'ambiguous')
      return { kind: 'usage', message: `option '${error.option}' is ambiguous` };
    if (error.kind === 'unrecognized')
      return { kind: 'usage', message: `unrecognized option '${error.option}'` };
    return { kind: 'usage', message: error.message };
  }
  if (noFork && close) {
    return { kind: 'error', message: 'the --no-fork and --close options are incompatible', status: EX_USAGE };
  }
  if (noFork) return { kind: 'usage', message: UNSUPPORTED['--no-fork']! };
  const [path, ...operands] = line.operands;
  if (path === undefined) {
    if (args.length === 0) return { kind: 'usage', message: 'not enough arguments' };
    return { kind: 'error', message: 'requires file descriptor, file or directory', status: EX_USAGE };
  }
  let rest = operands;
  if (rest[0] === '--') rest = rest.slice(1);
  else if (rest[0] === '-c' || rest[0] === '--command') {
    if (rest.length !== 2) {
      return { kind: 'error', message: `${rest[0]} requires exactly one command argument`, status: EX_USAGE };
    }
    shellCommand = rest[1];
    rest = [];
  }
  if (rest.length === 0 && shellCommand === undefined) {
    if (/^\s*[+-]?\d+$/.test(path))
      return { kind: 'error', message: descriptorFormMessage(path), status: EX_USAGE };
    return { kind: 'usage', message: 'no command to run' };
  }
  if (shellCommand !== undefined) {
    if (rest.length > 0)
      return { kind: 'usage', message: 'give either -c SHELL-COMMAND or COMMAND, not both' };
    rest = [shell(), '-c', shellCommand];
  }
  return { kind: 'run', path, timeout, stale, conflictExitCode, verbose, shared, close, argv: rest };
}
