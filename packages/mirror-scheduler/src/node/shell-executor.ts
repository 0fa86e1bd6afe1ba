import { spawn } from 'node:child_process';
import type { Executor, ExitResult, RunningProcess } from '../ports.js';
import { ForkServer, forkServerAvailable } from './fork-server.js';

/** How {@link shellExecutor} runs commands. */
export interface ShellExecutorOptions {
  /** `$0` of the script. @default 'mm' */
  readonly argv0?: string;
  /** The environment jobs start from (each job's `env` is added). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the command's stdout and stderr go. @default 'inherit' */
  readonly output?: 'inherit' | 'ignore';
  /**
   * Fork jobs through a small resident Perl helper instead of from Node: several times cheaper per job, which
   * matters for thousands of short jobs. Falls back to Node's spawn where `/usr/bin/perl` is missing.
   * @default true where available
   */
  readonly forkServer?: boolean;
}

function groupKiller(pid: number | undefined, isDone: () => boolean, fallback?: (s: NodeJS.Signals) => void) {
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

function tracked(exited: Promise<ExitResult>): { exited: Promise<ExitResult>; done: () => boolean } {
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
  const output = options.output ?? 'inherit';
  const argv0 = options.argv0 ?? 'mm';
  const env = options.env ?? process.env;
  let server: ForkServer | undefined;
  const useServer = (options.forkServer ?? true) && forkServerAvailable();

  const direct = (job: Parameters<Executor['start']>[0]): RunningProcess => {
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
  };

  return {
    async start(job): Promise<RunningProcess> {
      if (!useServer) return direct(job);
      if (!server?.usable) server = new ForkServer(argv0, output, env);
      const forked = await server.start(job.cwd ?? '', job.command ?? '', job.args ?? [], job.env ?? {});
      const { exited, done } = tracked(forked.exited);
      return { pid: forked.pid, exited, kill: groupKiller(forked.pid, done) };
    },
  };
}
