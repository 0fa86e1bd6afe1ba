// uuidd's command line, parsed as util-linux parses it (getopt_long: clustered short options, unique prefixes of
// long options, `--opt=value`), with its messages for bad options.

/** What the command line asks for. */
export interface UuiddOptions {
  pidPath: string | undefined;
  noPid: boolean;
  socketPath: string;
  socketGiven: boolean;
  timeout: number;
  kill: boolean;
  type: 'time' | 'random' | undefined;
  count: number;
  noFork: boolean;
  socketActivation: boolean;
  /** Continuous clock offset in seconds; 0 when off. */
  contClock: number;
  debug: boolean;
  quiet: boolean;
  /** Where the clock-sequence state is kept (an extension: util-linux always uses /var/lib/libuuid/clock.txt). */
  clockFile: string | undefined;
  /** How many processes serve the socket (an extension); undefined: one per CPU, at most 4. */
  workers: number | undefined;
}

/** The result of parsing: options to act on, or an immediate exit with what to print. */
export type Parsed =
  | { readonly options: UuiddOptions; readonly warnings: string[] }
  | { readonly exit: number; readonly stdout?: string; readonly stderr?: string };

interface Spec {
  readonly short: string;
  readonly long: string;
  readonly arg: 'none' | 'required' | 'optional';
}

const specs: readonly Spec[] = [
  { short: 'p', long: 'pid', arg: 'required' },
  { short: 's', long: 'socket', arg: 'required' },
  { short: 'T', long: 'timeout', arg: 'required' },
  { short: 'k', long: 'kill', arg: 'none' },
  { short: 'r', long: 'random', arg: 'none' },
  { short: 't', long: 'time', arg: 'none' },
  { short: 'n', long: 'uuids', arg: 'required' },
  { short: 'P', long: 'no-pid', arg: 'none' },
  { short: 'F', long: 'no-fork', arg: 'none' },
  { short: 'S', long: 'socket-activation', arg: 'none' },
  { short: 'C', long: 'cont-clock', arg: 'optional' },
  { short: 'd', long: 'debug', arg: 'none' },
  { short: 'q', long: 'quiet', arg: 'none' },
  { short: 'V', long: 'version', arg: 'none' },
  { short: 'h', long: 'help', arg: 'none' },
  { short: '', long: 'clock-file', arg: 'required' },
  { short: '', long: 'workers', arg: 'required' },
];

/** util-linux's groups of mutually exclusive options, in its order. */
const exclusive: readonly (readonly string[])[] = [
  ['P', 'p'],
  ['d', 'q'],
  ['r', 't'],
];

export const USAGE = `
Usage:
 uuidd [options]

A daemon for generating UUIDs.

Options:
 -p, --pid <path>        path to pid file
 -s, --socket <path>     path to socket
 -T, --timeout <sec>     specify inactivity timeout
 -k, --kill              kill running daemon
 -r, --random            test random-based generation
 -t, --time              test time-based generation
 -n, --uuids <num>       request number of uuids
 -P, --no-pid            do not create pid file
 -F, --no-fork           do not daemonize using double-fork
 -S, --socket-activation do not create listening socket
 -C, --cont-clock[=<number>[hd]]
                         activate continuous clock handling
 -d, --debug             run in debugging mode
 -q, --quiet             turn on quiet mode
     --clock-file <path> where to keep the clock sequence state
                           (default: uuidd.clock beside the socket)
     --workers <num>     processes serving the socket
                           (default: one per CPU, at most 4; 1 with -d)

 -h, --help              display this help
 -V, --version           display version

For more details see uuidd(8).
`;

const TRY_HELP = "Try 'uuidd --help' for more information.\n";

class OptionError extends Error {}

const RANGE = 'Numerical result out of range';

/** util-linux's strtou32_or_err / strtou16_or_err: a decimal number in range, or the message to exit with. */
function parseUnsigned(text: string, max: number, what: string): number {
  const match = /^\s*\+?(\d+)$/.exec(text);
  if (match === null) throw new OptionError(`${what}: '${text}'`);
  const value = Number(match[1]);
  if (value > max) throw new OptionError(`${what}: '${text}': ${RANGE}`);
  return value;
}

/** `-C`'s argument: NUM seconds (60 s to 365 d), or NUMh / NUMd (at least 1). */
export function parseContClock(text: string): number {
  const arg = text.startsWith('=') ? text.slice(1) : text;
  const what = 'failed to parse --cont-clock/-C';
  const maxSeconds = 3600 * 24 * 365;
  const suffix = arg.at(-1);
  const factor = suffix === 'h' ? 3600 : suffix === 'd' ? 24 * 3600 : 1;
  const digits = factor === 1 ? arg : arg.slice(0, -1);
  // util-linux cuts the h/d off the argument in place, so its messages quote the number without it.
  const match = /^\s*[+-]?\d+$/.exec(digits);
  if (match === null) throw new OptionError(`${what}: '${digits}'`);
  const value = Number(digits);
  const min = factor === 1 ? 60 : 1;
  if (value < min || value > Math.floor(maxSeconds / factor))
    throw new OptionError(`${what}: '${digits}': ${RANGE}`);
  return value * factor;
}

function findLong(name: string): Spec {
  const exact = specs.find((spec) => spec.long === name);
  if (exact !== undefined) return exact;
  const matches = specs.filter((spec) => spec.long.startsWith(name));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new OptionError(`unrecognized option '--${name}'`, { cause: 'usage' });
  throw new OptionError(
    `option '--${name}' is ambiguous; possibilities: ${matches.map((m) => `'--${m.long}'`).join(' ')}`,
    { cause: 'usage' },
  );
}

/** Splits argv into (option, value) pairs in getopt_long's way; operands are ignored, as uuidd ignores them. */
function* scan(argv: readonly string[]): Generator<{ spec: Spec; value: string | undefined }> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = findLong(name);
      let value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (spec.arg === 'none' && value !== undefined) {
        throw new OptionError(`option '--${spec.long}' doesn't allow an argument`, { cause: 'usage' });
      }
      if (spec.arg === 'required' && value === undefined) {
        value = argv[++i];
        if (value === undefined) {
          throw new OptionError(`option '--${spec.long}' requires an argument`, { cause: 'usage' });
        }
      }
      yield { spec, value };
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') continue;
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      const spec = specs.find((s) => s.short === letter && letter !== '');
      if (spec === undefined) throw new OptionError(`invalid option -- '${letter}'`, { cause: 'usage' });
      if (spec.arg === 'none') {
        yield { spec, value: undefined };
        continue;
      }
      let value: string | undefined = arg.slice(j + 1);
      if (value === '') value = spec.arg === 'required' ? argv[++i] : undefined;
      if (spec.arg === 'required' && value === undefined) {
        throw new OptionError(`option requires an argument -- '${letter}'`, { cause: 'usage' });
      }
      yield { spec, value };
      break;
    }
  }
}

/**
 * Parses uuidd's arguments. Defaults are util-linux's: socket /run/uuidd/request, pid file /run/uuidd/uuidd.pid.
 */
/** `version` is what `-V` prints (the whole text). */
export function parseUuiddArgs(argv: readonly string[], version: string): Parsed {
  const options: UuiddOptions = {
    pidPath: undefined,
    noPid: false,
    socketPath: '/run/uuidd/request',
    socketGiven: false,
    timeout: 0,
    kill: false,
    type: undefined,
    count: 0,
    noFork: false,
    socketActivation: false,
    contClock: 0,
    debug: false,
    quiet: false,
    clockFile: undefined,
    workers: undefined,
  };
  const seen = new Map<number, string>();
  try {
    for (const { spec, value } of scan(argv)) {
      exclusive.forEach((group, index) => {
        if (!group.includes(spec.short)) return;
        const earlier = seen.get(index);
        if (earlier !== undefined && earlier !== spec.short) {
          // util-linux 2.42's wording: the option given first, then the one that clashes with it.
          const long = (letter: string) => `--${specs.find((s) => s.short === letter)!.long}`;
          throw new OptionError(`options ${long(earlier)} and ${long(spec.short)} cannot be combined`);
        }
        seen.set(index, spec.short);
      });
      switch (spec.long) {
        case 'pid':
          options.pidPath = value!;
          break;
        case 'socket':
          options.socketPath = value!;
          options.socketGiven = true;
          break;
        case 'timeout':
          options.timeout = parseUnsigned(value!, 0xffff_ffff, 'failed to parse --timeout');
          break;
        case 'kill':
          options.kill = true;
          break;
        case 'random':
          options.type = 'random';
          break;
        case 'time':
          options.type = 'time';
          break;
        case 'uuids':
          options.count = parseUnsigned(value!, 0xffff, 'failed to parse --uuids');
          break;
        case 'no-pid':
          options.noPid = true;
          break;
        case 'no-fork':
          options.noFork = true;
          break;
        case 'socket-activation':
          options.socketActivation = true;
          options.noFork = true;
          options.noPid = true;
          break;
        case 'cont-clock':
          options.contClock = value === undefined ? 7200 : parseContClock(value);
          break;
        case 'debug':
          options.debug = true;
          break;
        case 'quiet':
          options.quiet = true;
          break;
        case 'clock-file':
          options.clockFile = value!;
          break;
        case 'workers':
          options.workers = Math.max(1, parseUnsigned(value!, 64, 'failed to parse --workers'));
          break;
        case 'version':
          return { exit: 0, stdout: version };
        case 'help':
          return { exit: 0, stdout: USAGE };
      }
    }
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    const tail = error.cause === 'usage' ? TRY_HELP : '';
    return { exit: 1, stderr: `uuidd: ${error.message}\n${tail}` };
  }
  const warnings: string[] = [];
  if (options.socketGiven && options.socketActivation && !options.quiet) {
    warnings.push('Both --socket-activation and --socket specified. Ignoring --socket.');
  }
  if (Buffer.byteLength(options.socketPath) >= 108) {
    return { exit: 1, stderr: `uuidd: socket name too long: ${options.socketPath}\n` };
  }
  if (!options.noPid && options.pidPath === undefined) options.pidPath = '/run/uuidd/uuidd.pid';
  return { options, warnings };
}
