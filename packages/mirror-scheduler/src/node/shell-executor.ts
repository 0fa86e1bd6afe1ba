import { spawn } from 'node:child_process';
import type { Job } from '../job.js';
import type { Executor, ExitResult, RunningProcess } from '../ports.js';
import { forkServerExecutor } from './fork-server.js';

/** How {@link shellExecutor} runs commands. */
export interface ShellExecutorOptions {
  /** `$0` of the script. @default 'mm' */
  readonly argv0?: string;
  /** The environment jobs start from (each job's `env` is added). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the command's stdout and stderr go. @default 'inherit' */
  readonly output?: 'inherit' | 'ignore';
  /**
   * Fork jobs through the resident Perl helper: the same as {@link forkServerExecutor} (which says so in the
   * code; prefer it). @default false: Node's `child_process.spawn`, which works under every runtime
   */
  readonly forkServer?: boolean;
}

/** Signals a job's process group (or the process alone if it has none yet); quiet once it has ended. */
export function groupKiller(
  pid: number | undefined,
  isDone: () => boolean,
  fallback?: (s: NodeJS.Signals) => void,
) {
  return (signal: NodeJS.Signals) => {
    if (isDone() || pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        if (fallback) fallback(signal);
        else process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
}

/** The promise, and whether it has settled yet. */
export function tracked(exited: Promise<ExitResult>): { exited: Promise<ExitResult>; done: () => boolean } {
  let done = false;
  exited.then(() => {
    done = true;
  });
  return { exited, done: () => done };
}

/**
 * Runs `/bin/sh -c COMMAND mm ARGS...` in the job's cwd with the job's env added, in a process group of its own:
 * a signal from the scheduler reaches everything the command started, and a terminal's Ctrl-C reaches only mm,
 * which then stops its jobs itself. If mm is killed with SIGKILL, the jobs keep running (their locks say so).
 * Standard input is /dev/null.
 * @example
 * const run = runJobs(plan.steps, { executor: shellExecutor({ output: 'ignore' }) });
 */
export function shellExecutor(options: ShellExecutorOptions = {}): Executor {
  if (options.forkServer) return forkServerExecutor(options);
  const output = options.output ?? 'inherit';
  const argv0 = options.argv0 ?? 'mm';
  const env = options.env ?? process.env;
  return { start: (job) => spawnJob(job, argv0, env, output) };
}

/** Starts one job with Node's spawn: `/bin/sh -c COMMAND ARGV0 ARGS...`, detached (a process group of its own). */
export function spawnJob(
  job: Job,
  argv0: string,
  env: NodeJS.ProcessEnv,
  output: 'inherit' | 'ignore',
): RunningProcess {
  const child = spawn('/bin/sh', ['-c', job.command ?? '', argv0, ...(job.args ?? [])], {
    ...(job.cwd === undefined ? {} : { cwd: job.cwd }),
    env: { ...env, ...job.env },
    stdio: ['ignore', output, output],
    detached: true,
  });
  const { exited, done } = tracked(
    new Promise<ExitResult>((resolve) => {
      child.once('error', (error) => resolve({ exitCode: null, signal: null, error: error.message }));
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    }),
  );
  return {
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    exited,
    kill: groupKiller(child.pid, done, (s) => child.kill(s)),
  };
}
