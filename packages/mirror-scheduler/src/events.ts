import type { Job } from './job.js';
import type { LockHolder } from './ports.js';

/** Why a job did not run. */
export type SkipReason =
  /** `-o` / `only` named other jobs. */
  | 'not-selected'
  /** `skip=` / `skip` named it. */
  | 'skip'
  /** Its id came earlier in the plan (the first occurrence wins). */
  | 'duplicate'
  /** Its retry timer has not run out (see `nextEligible`). */
  | 'timer'
  /** It is already running (its lock is held, see `holder`). */
  | 'locked'
  /** The run was aborted before it started. */
  | 'aborted';

/** Something that happened in a run. Every event has the epoch-ms time `at`. */
export type SchedulerEvent =
  | { readonly type: 'queued'; readonly job: Job; readonly at: number }
  | {
      readonly type: 'skipped';
      readonly job: Job;
      readonly reason: SkipReason;
      /** A sentence a person can read: why, and until when. */
      readonly detail: string;
      readonly nextEligible?: number;
      readonly holder?: LockHolder;
      readonly at: number;
    }
  /** Dry run only: the job would run now. */
  | { readonly type: 'would-run'; readonly job: Job; readonly detail: string; readonly at: number }
  | { readonly type: 'started'; readonly job: Job; readonly pid?: number; readonly at: number }
  | {
      readonly type: 'finished';
      readonly job: Job;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly ok: boolean;
      readonly timedOut: boolean;
      readonly durationMs: number;
      readonly error?: string;
      readonly at: number;
    }
  | { readonly type: 'barrier'; readonly job: Job; readonly at: number }
  /** The lock port or the status store failed for this job; it counts as failed. */
  | { readonly type: 'error'; readonly job: Job; readonly message: string; readonly at: number }
  | { readonly type: 'done'; readonly summary: RunSummary; readonly at: number };

/** How a run went. */
export interface RunSummary {
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
  /** The ids of the jobs that failed, in the order they ended. */
  readonly failedJobs: readonly string[];
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Barriers (`cmd=`) run, and how many of them failed. */
  readonly barriers: number;
  readonly barriersFailed: number;
  readonly aborted: boolean;
  readonly durationMs: number;
  /** The most jobs that ran at once. */
  readonly maxRunning: number;
}
