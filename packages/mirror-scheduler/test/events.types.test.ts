// Type tests of the scheduler's events and run handle: `npx turbo run typecheck` (tsc over test/) fails if a
// signature changes; vitest runs the same file (expectTypeOf is a no-op at run time).
import { describe, expectTypeOf, it } from 'vitest';
import type {
  Job,
  JobRun,
  JobVerdict,
  LockHolder,
  PlanEntries,
  RunSummary,
  SchedulerEvent,
  SchedulerOptions,
  SkipReason,
  Step,
} from '../src/index.js';
import { explain, runJobs } from '../src/index.js';

type EventOf<T extends SchedulerEvent['type']> = Extract<SchedulerEvent, { type: T }>;

describe('the scheduler events (types)', () => {
  it('are the eight kinds, told apart by `type`', () => {
    expectTypeOf<SchedulerEvent['type']>().toEqualTypeOf<
      'queued' | 'skipped' | 'would-run' | 'started' | 'finished' | 'barrier' | 'error' | 'done'
    >();
    expectTypeOf<SchedulerEvent['at']>().toEqualTypeOf<number>();
  });

  it('carry exactly these fields, read-only', () => {
    expectTypeOf<EventOf<'queued'>>().toEqualTypeOf<{
      readonly type: 'queued';
      readonly job: Job;
      readonly at: number;
    }>();
    expectTypeOf<EventOf<'skipped'>>().toEqualTypeOf<{
      readonly type: 'skipped';
      readonly job: Job;
      readonly reason: SkipReason;
      readonly detail: string;
      readonly nextEligible?: number;
      readonly holder?: LockHolder;
      readonly at: number;
    }>();
    expectTypeOf<EventOf<'would-run'>>().toEqualTypeOf<{
      readonly type: 'would-run';
      readonly job: Job;
      readonly detail: string;
      readonly at: number;
    }>();
    expectTypeOf<EventOf<'started'>>().toEqualTypeOf<{
      readonly type: 'started';
      readonly job: Job;
      readonly pid?: number;
      readonly at: number;
    }>();
    expectTypeOf<EventOf<'finished'>>().toEqualTypeOf<{
      readonly type: 'finished';
      readonly job: Job;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly ok: boolean;
      readonly timedOut: boolean;
      readonly durationMs: number;
      readonly error?: string;
      readonly at: number;
    }>();
    expectTypeOf<EventOf<'barrier'>>().toEqualTypeOf<{
      readonly type: 'barrier';
      readonly job: Job;
      readonly at: number;
    }>();
    expectTypeOf<EventOf<'error'>>().toEqualTypeOf<{
      readonly type: 'error';
      readonly job: Job;
      readonly message: string;
      readonly at: number;
    }>();
    expectTypeOf<EventOf<'done'>>().toEqualTypeOf<{
      readonly type: 'done';
      readonly summary: RunSummary;
      readonly at: number;
    }>();
  });

  it('name the skip reasons and sum a run up', () => {
    expectTypeOf<SkipReason>().toEqualTypeOf<
      'not-selected' | 'skip' | 'duplicate' | 'timer' | 'locked' | 'aborted'
    >();
    expectTypeOf<RunSummary>().toEqualTypeOf<{
      readonly started: number;
      readonly succeeded: number;
      readonly failed: number;
      readonly failedJobs: readonly string[];
      readonly skipped: Readonly<Record<SkipReason, number>>;
      readonly barriers: number;
      readonly barriersFailed: number;
      readonly aborted: boolean;
      readonly durationMs: number;
      readonly maxRunning: number;
    }>();
  });
});

describe('runJobs and explain (types)', () => {
  it('runJobs takes a plan of steps or jobs, at once or as they are read, and returns events with a summary', () => {
    expectTypeOf(runJobs).parameters.toEqualTypeOf<[entries: PlanEntries, options?: SchedulerOptions]>();
    expectTypeOf(runJobs).returns.toEqualTypeOf<JobRun>();
    expectTypeOf<PlanEntries>().toEqualTypeOf<Iterable<Step | Job> | AsyncIterable<Step | Job>>();
    expectTypeOf<JobRun>().toExtend<AsyncIterable<SchedulerEvent>>();
    expectTypeOf<JobRun['summary']>().toEqualTypeOf<Promise<RunSummary>>();
  });

  it('explain answers with one verdict per job', () => {
    expectTypeOf(explain).returns.resolves.toEqualTypeOf<JobVerdict[]>();
  });
});
