// uuidd's command line, parsed as util-linux parses it (getopt_long: clustered short options, unique prefixes of
// long options, `--opt=value`), with its messages for bad options.
import type { ToolContext } from '../../shared/define-tool.js';
import { CommandLine, type CommandLineSpec, GetoptError } from '../../shared/getopt.js';

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
  /** How many processes serve the socket (an extension); undefined: one. */
  workers: number | undefined;
}

/** The result of parsing: options to act on, or an immediate exit with what to print. */
export type Parsed =
  | { readonly options: UuiddOptions; readonly warnings: string[] }
  | { readonly exit: number; readonly stderr?: string };

/** util-linux's options (and two of this suite's), and its groups of exclusive ones in its order. */
const SPEC: CommandLineSpec = {
  mode: 'gnu',
  options: [
    { short: 'p', long: 'pid', arg: 'required' },
    { short: 's', long: 'socket', arg: 'required' },
    { short: 'T', long: 'timeout', arg: 'required' },
    { short: 'k', long: 'kill' },
    { short: 'r', long: 'random' },
    { short: 't', long: 'time' },
    { short: 'n', long: 'uuids', arg: 'required' },
    { short: 'P', long: 'no-pid' },
    { short: 'F', long: 'no-fork' },
    { short: 'S', long: 'socket-activation' },
    { short: 'C', long: 'cont-clock', arg: 'optional' },
    { short: 'd', long: 'debug' },
    { short: 'q', long: 'quiet' },
    { short: 'V', long: 'version' },
    { short: 'h', long: 'help' },
    { long: 'clock-file', arg: 'required' },
    { long: 'workers', arg: 'required' },
  ],
  exclusive: [
    ['P', 'p'],
    ['d', 'q'],
    ['r', 't'],
  ],
};

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
                           (default: 1; always 1 with -d)

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

/**
 * Parses uuidd's arguments. Defaults are util-linux's: socket /run/uuidd/request, pid file /run/uuidd/uuidd.pid.
 */
/** -h and -V are answered by `tool` when they come (the exit status is then its). */
export async function parseUuiddArgs(argv: readonly string[], tool: ToolContext): Promise<Parsed> {
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
  try {
    // Operands are ignored, as uuidd ignores them; each option is acted on as it comes (-h before a bad one helps).
    for (const { key, value } of new CommandLine(argv, SPEC)) {
      switch (SPEC.options.find((o) => (o.short ?? o.long) === key)?.long) {
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
          return { exit: await tool.version() };
        case 'help':
          return { exit: await tool.help() };
      }
    }
  } catch (error) {
    if (!(error instanceof OptionError || error instanceof GetoptError)) throw error;
    // util-linux's err_exclusive_options gives no --help hint; getopt's errors do.
    const tail = error instanceof GetoptError && error.kind !== 'exclusive' ? TRY_HELP : '';
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
