import { spawn } from 'node:child_process';
import type { Executor, ExitResult, RunningProcess } from '../ports.js';

/** How {@link shellExecutor} runs commands. */
export interface ShellExecutorOptions {
  /** @default '/bin/sh' */
  readonly shell?: string;
  /** `$0` of the script. @default 'mm' */
  readonly argv0?: string;
  /** The environment jobs start from (each job's `env` is added). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the command's stdout and stderr go. @default 'inherit' */
  readonly output?: 'inherit' | 'ignore';
}

/**
 * Runs `sh -c COMMAND mm ARGS...` in the job's cwd with the job's env added, in a process group of its own: a
 * signal from the scheduler reaches everything the command started, and a terminal's Ctrl-C reaches only mm,
 * which then stops its jobs itself. If mm is killed with SIGKILL, the jobs keep running (their locks say so).
 * @example
 * const run = runJobs(plan.steps, { executor: shellExecutor({ output: 'ignore' }) });
 */
export function shellExecutor(options: ShellExecutorOptions = {}): Executor {
  const shell = options.shell ?? '/bin/sh';
  const output = options.output ?? 'inherit';
  return {
    start(job): RunningProcess {
      const child = spawn(shell, ['-c', job.command ?? '', options.argv0 ?? 'mm', ...(job.args ?? [])], {
        ...(job.cwd === undefined ? {} : { cwd: job.cwd }),
        env: { ...(options.env ?? process.env), ...job.env },
        stdio: ['ignore', output, output],
        detached: true,
      });
      const exited = new Promise<ExitResult>((resolve) => {
        child.once('error', (error) => resolve({ exitCode: null, signal: null, error: error.message }));
        child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
      });
      let done = false;
      exited.then(() => {
        done = true;
      });
      return {
        ...(child.pid === undefined ? {} : { pid: child.pid }),
        exited,
        kill(signal) {
          if (done || child.pid === undefined) return;
          try {
            process.kill(-child.pid, signal);
          } catch {
            child.kill(signal);
          }
        },
      };
    },
  };
}
