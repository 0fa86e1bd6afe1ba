import type { Executor, ExitResult, Job, RunningProcess } from '../src/index.js';

/** A job's fake process: how long it runs (real ms, kept short) and how it ends. */
export interface FakeBehaviour {
  readonly ms?: number;
  readonly exitCode?: number;
  /** Ignores SIGTERM (only SIGKILL ends it). */
  readonly stubborn?: boolean;
  /** start() throws, as if the shell could not be found. */
  readonly unstartable?: boolean;
}

/** An executor whose processes are timers; it records every start, end and signal. */
export function fakeExecutor(behaviour: (job: Job) => FakeBehaviour = () => ({})) {
  let nextPid = 1000;
  let running = 0;
  const log: { id: string; start: number; end?: number; pid: number }[] = [];
  const signals: { id: string; signal: string }[] = [];
  let maxRunning = 0;
  const executor: Executor = {
    start(job): RunningProcess {
      const b = behaviour(job);
      if (b.unstartable) throw new Error('spawn /bin/nosuchshell ENOENT');
      const pid = nextPid++;
      const entry: { id: string; start: number; end?: number; pid: number } = {
        id: job.id,
        start: performance.now(),
        pid,
      };
      log.push(entry);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      let finish!: (r: ExitResult) => void;
      const exited = new Promise<ExitResult>((resolve) => {
        finish = (r) => {
          if (entry.end !== undefined) return;
          entry.end = performance.now();
          running -= 1;
          resolve(r);
        };
      });
      const timer = setTimeout(() => finish({ exitCode: b.exitCode ?? 0, signal: null }), b.ms ?? 5);
      return {
        pid,
        exited,
        kill(signal) {
          signals.push({ id: job.id, signal });
          if (signal === 'SIGTERM' && b.stubborn) return;
          clearTimeout(timer);
          finish({ exitCode: null, signal });
        },
      };
    },
  };
  return {
    executor,
    log,
    signals,
    get maxRunning() {
      return maxRunning;
    },
  };
}

/** A clock the test sets by hand. */
export function manualClock(start = 1_700_000_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}
