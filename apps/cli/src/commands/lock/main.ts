import { hostname } from 'node:os';
import {
  acquire,
  LockError,
  type LockHandle,
  type LockOwner,
  nodeLockPorts,
  sameHost,
} from '@suite/lockfile/node';
import { defineTool, type ToolContext } from '../../shared/define-tool.js';
import { parseArgs, USAGE } from './options.js';
import { runLocked } from './run-locked.js';

/** flock(1) uses sysexits: EX_USAGE for a bad command line, EX_NOINPUT when the lock cannot be created. */
const EX_USAGE = 64;
const EX_NOINPUT = 66;

function say(line: string): void {
  process.stderr.write(`lock: ${line}\n`);
}

/**
 * Names the holder by the pids that keep the lock alive: on this host the live ones among the owner and the
 * pids it adopted (after `lock` itself was killed, only its command's pid is left), else the owner's pid and host.
 */
function describeHolder(owner: LockOwner | undefined): string {
  if (owner === undefined) return 'an unknown holder';
  if (!sameHost(owner.hostname, hostname())) return `pid ${owner.pid} on host ${owner.hostname}`;
  const refs = [{ pid: owner.pid, startTime: owner.startTime }, ...(owner.adopted ?? [])];
  const live = refs
    .filter((ref) => nodeLockPorts.probe.isAlive(ref.pid, ref.startTime))
    .map((ref) => ref.pid);
  const [first, ...others] = live.length > 0 ? live : [owner.pid];
  return others.length === 0 ? `pid ${first}` : `pid ${first} (also pid ${others.join(', pid ')})`;
}

/** `lock [options] LOCKPATH [--] COMMAND [ARGS...]`: runs COMMAND while holding the lock, like flock(1). */
export const { main } = defineTool({ name: 'lock', help: USAGE, answers: 'options', run: lock });

async function lock(argv: readonly string[], tool: ToolContext): Promise<number> {
  const parsed = parseArgs(argv);
  switch (parsed.kind) {
    case 'help':
      return tool.help();
    case 'version':
      return tool.version();
    case 'usage':
      say(parsed.message);
      process.stderr.write("Try 'lock --help' for more information.\n");
      return EX_USAGE;
    case 'error':
      say(parsed.message);
      return parsed.status;
  }
  const started = process.hrtime.bigint(); // not performance.now(): its first use loads perf_hooks
  let lock: LockHandle;
  try {
    lock = await acquire(parsed.path, {
      shared: parsed.shared,
      timeout: parsed.timeout * 1000,
      onCompromised: (error) => say(`warning: ${error.message}`),
      ...(parsed.stale === undefined ? {} : { stale: parsed.stale * 1000 }),
    });
  } catch (error) {
    if (!(error instanceof LockError)) throw error;
    if (error.code === 'ELOCKED' || error.code === 'ETIMEOUT') {
      const waited = error.code === 'ETIMEOUT' ? ` (gave up after ${parsed.timeout} s)` : '';
      say(`${parsed.path} is locked by ${describeHolder(error.owner)}${waited}`);
      if (parsed.verbose)
        say(error.code === 'ETIMEOUT' ? 'timeout while waiting to get lock' : 'failed to get lock');
      return parsed.conflictExitCode;
    }
    say(error.message);
    return EX_NOINPUT;
  }
  if (parsed.verbose) {
    // On stdout, as flock prints them.
    const took = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(6);
    process.stdout.write(`lock: getting lock took ${took} seconds\nlock: executing ${parsed.argv[0]}\n`);
  }
  return runLocked(lock, parsed.argv, say, { adopt: !parsed.close });
}
