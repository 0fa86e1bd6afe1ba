import type { Job } from './job.js';
import type { StatusRecord } from './status-record.js';

/** The time, in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** One-shot timers (the scheduler's job timeouts and kill grace periods). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How a process (or a `run` function) ended: an exit code, or the signal that killed it. */
export interface ExitResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Why it could not run at all (e.g. the shell was not found), if so. */
  readonly error?: string;
}

/** A started job, as the executor hands it back. */
export interface RunningProcess {
  readonly pid?: number;
  /** Settles once the process has ended; never rejects. */
  readonly exited: Promise<ExitResult>;
  /** Sends a signal to the process (and what it started). Safe to call after it ended. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/**
 * Starts jobs' commands. The Node adapter runs `sh -c COMMAND mm ARGS...` in the job's cwd, in its own process
 * group, so that a signal reaches everything the command started.
 */
export interface Executor {
  /** Starts `job.command`. May throw (or reject) if it cannot; the job then counts as failed. */
  start(job: Job): RunningProcess | Promise<RunningProcess>;
  /**
   * Optional: starts `job.command` as soon as fewer than `below` of the jobs this executor started still run (the
   * moment one of them ends, without waiting for the scheduler), so that a slot is refilled at once; resolves when
   * it has started. Resolves to `undefined` when it cannot stand by now (the scheduler then waits for a slot and
   * calls `start`), and rejects with an error whose `code` is `ECANCELLED` if `signal` aborts before it started.
   * The scheduler uses it only while every job it runs was started by this executor.
   */
  standby?(
    job: Job,
    below: number,
    signal?: AbortSignal,
  ): Promise<RunningProcess | undefined> | RunningProcess | undefined;
}

/** Who holds a job's lock, as far as the lock port can tell. */
export interface LockHolder {
  readonly pid?: number;
  readonly hostname?: string;
  /** Processes that keep the lock alive besides its owner (the job's running command). */
  readonly pids?: readonly number[];
  /** Epoch ms at which it was taken. */
  readonly since?: number;
}

/** A job's lock, held from before the job starts until its end is recorded. */
export interface JobLock {
  /** Makes `pid` (the job's process) keep the lock alive if its owner dies. */
  adopt?(pid: number): Promise<void>;
  release(): Promise<void>;
}

/** The answer to a lock attempt: the lock, or who has it. */
export type LockAttempt =
  | { readonly acquired: true; readonly lock: JobLock }
  | { readonly acquired: false; readonly holder?: LockHolder };

/**
 * Per-job locks. `tryLock` must be atomic across every process that shares the locks (one try, no waiting): that
 * is what stops two schedulers from running one job twice.
 */
export interface LockPort {
  tryLock(job: Job): Promise<LockAttempt>;
  /** Who holds the job's lock now, without taking it (for dry runs and "why is this job not running"). */
  holder(job: Job): Promise<LockHolder | undefined>;
}

/** Where status records live (the Node adapter: mm.status plus mm.status.json under home). */
export interface StatusStore {
  read(job: Job): Promise<StatusRecord | undefined>;
  /** Stores the record; must be atomic (a reader sees the old or the new state, never a torn file). */
  write(job: Job, record: StatusRecord): Promise<void>;
  /**
   * Starts writing what waits for a batch now (optional, for stores that batch writes). The scheduler calls it
   * once nothing runs and it waits only for records to be stored (the end of a run, a barrier), so that they do
   * not wait out a batch window.
   */
  flush?(): void;
}
