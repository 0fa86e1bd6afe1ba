import { programExists } from '../node/fleet-host.js';
import { forkServerExecutor } from '../node/fork-server.js';
import { shellExecutor } from '../node/shell-executor.js';
import type { Executor } from '../ports.js';

/** How {@link fleetExecutor} runs jobs. */
export interface FleetExecutorOptions {
  /** Where the commands' stdout and stderr go. @default 'inherit' */
  readonly output?: 'inherit' | 'ignore';
  /** The environment jobs start from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Fork jobs through the shell executor's resident Perl helper (cheaper per job than forking Node). The helper
   * exits when its worker dies (its input closes), and the jobs' parent-death signal follows; with `false`, Node
   * forks each job itself and is its parent.
   * @default true where /usr/bin/perl exists
   */
  readonly forkHelper?: boolean;
  /** The setpriv(1) binary. @default '/usr/bin/setpriv' (Linux, util-linux) */
  readonly setpriv?: string;
}

/**
 * Whether jobs started by {@link fleetExecutor} die with their worker on this machine (Linux with setpriv).
 * @example
 * if (!deathSignalAvailable()) console.warn('jobs will outlive a killed worker here');
 */
export function deathSignalAvailable(setpriv = '/usr/bin/setpriv'): boolean {
  return process.platform === 'linux' && programExists(setpriv);
}

/**
 * The shell executor of `./node`, with each job's shell tied to the worker's life: it is started through
 * `setpriv --pdeathsig KILL`, so the kernel kills it when the worker process dies (SIGKILL, OOM), and a rerun
 * elsewhere never overlaps it. (A command that forks and waits, instead of `exec`ing its mirror as mm's default
 * does, leaves its children to the job's process group; the worker kills that group whenever it is alive.)
 * Jobs are forked by the shell executor's Perl helper, which exits as soon as its worker dies (its input closes),
 * so the parent that dies is the worker's own; `forkHelper: false` makes Node their parent directly.
 * @example
 * await runFleetWorker(fleet, { executor: fleetExecutor({ output: 'ignore' }) });
 */
export function fleetExecutor(options: FleetExecutorOptions = {}): Executor {
  const common = {
    output: options.output ?? 'inherit',
    ...(options.env ? { env: options.env } : {}),
  } as const;
  // The helper must exit with its worker (outliveScheduler: false), so that the jobs' parent-death signal fires.
  const inner =
    (options.forkHelper ?? true)
      ? forkServerExecutor({ ...common, outliveScheduler: false })
      : shellExecutor(common);
  const setpriv = options.setpriv ?? '/usr/bin/setpriv';
  if (!deathSignalAvailable(setpriv)) return inner;
  return {
    start: (job) =>
      inner.start({
        ...job,
        // `exec` keeps the pid: the forked process becomes setpriv, then the job's shell.
        command: `exec ${setpriv} --pdeathsig KILL -- /bin/sh -c "$MM_FLEET_COMMAND" "$0" "$@"`,
        env: { ...job.env, MM_FLEET_COMMAND: job.command ?? '' },
      }),
  };
}
