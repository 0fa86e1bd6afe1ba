import { EventChannel } from './event-channel.js';
import type { RunSummary, SchedulerEvent, SkipReason } from './events.js';
import type { Job, Step } from './job.js';
import { createMemoryLocks, createMemoryStatusStore, systemClock, systemTimers } from './memory-ports.js';
import type {
  Clock,
  Executor,
  ExitResult,
  JobLock,
  LockAttempt,
  LockHolder,
  LockPort,
  RunningProcess,
  StatusStore,
  Timers,
} from './ports.js';
import { nextEligibleAt, recordFinished, recordStarted, type StatusRecord } from './status-record.js';

/** How to run a plan. Every port has an in-memory or platform-neutral default. */
export interface SchedulerOptions {
  /** How many jobs run at once (a `max` step changes it from there on). @default 6 */
  readonly max?: number;
  /** Runs jobs' `command`s; required if any job has one (Node: `shellExecutor()` from `./node`). */
  readonly executor?: Executor;
  /** Per-job locks. @default in-process locks (no protection against another process) */
  readonly locks?: LockPort;
  /** Status records, for retry timers. @default in memory */
  readonly store?: StatusStore;
  /** @default Date.now */
  readonly clock?: Clock;
  /** @default globalThis.setTimeout */
  readonly timers?: Timers;
  /** Ignore retry timers (mm `-t`); locks are still obeyed. @default false */
  readonly ignoreTimers?: boolean;
  /**
   * Run only these job ids, or the jobs whose id the regular expression matches (mm `-oPATTERN`); the others are
   * skipped as `not-selected`.
   */
  readonly only?: readonly string[] | RegExp;
  /** Never run these job ids (mm `skip=`). */
  readonly skip?: readonly string[];
  /** Start nothing: report for each job whether it would run, and why not (`would-run` and `skipped` events). */
  readonly dryRun?: boolean;
  /** Stops everything: nothing more starts, running jobs get SIGTERM, then SIGKILL after `killGraceMs`. */
  readonly signal?: AbortSignal;
  /** Ms between SIGTERM and SIGKILL. @default 10000 */
  readonly killGraceMs?: number;
  /** Called with every event, in order, as it happens. If it throws, the run carries on and `summary` rejects. */
  readonly onEvent?: (event: SchedulerEvent) => void;
}

/** A run in progress: iterate it for events; await `summary` for the outcome. */
export interface JobRun extends AsyncIterable<SchedulerEvent> {
  /** Resolves when every started job has ended and its status is written. */
  readonly summary: Promise<RunSummary>;
}

/** Whether a job would run now, and if not, why: the answer to "why is this job not running". */
export interface JobVerdict {
  readonly job: Job;
  readonly wouldRun: boolean;
  readonly reason?: SkipReason;
  readonly detail: string;
  readonly nextEligible?: number;
  readonly holder?: LockHolder;
  readonly record?: StatusRecord;
}

/**
 * One entry of a plan: a {@link Step}, or a bare {@link Job} (a job step).
 * @example
 * const entry: PlanEntry = { id: 'site:pkg', command: 'true', retryAfterSuccess: 0, retryAfterFailure: 0 };
 */
export type Entry = Step | Job;
/**
 * A plan: steps (or jobs) in order, given at once or as they are read (mm reads its configuration as it runs).
 * @example
 * const plan: PlanEntries = [{ id: 'site:pkg', command: 'true', retryAfterSuccess: 0, retryAfterFailure: 0 }];
 * runJobs(plan);
 */
export type Entries = Iterable<Entry> | AsyncIterable<Entry>;
const stepOf = (entry: Entry): Step => ('kind' in entry ? entry : { kind: 'job', job: entry });

const LAST_DATE = 8.64e15;
/** Stands for "no lock needed" (concurrencyPolicy `allow`) in a lock attempt. */
const NO_LOCK: JobLock = { release: async () => {} };
const when = (ms: number) =>
  Math.abs(ms) > LAST_DATE ? 'never' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function holderText(holder: LockHolder | undefined): string {
  if (holder === undefined) return 'another run';
  const parts = [holder.pid === undefined ? 'a process' : `pid ${holder.pid}`];
  if (holder.hostname) parts.push(`on ${holder.hostname}`);
  if (holder.pids?.length) parts.push(`(running ${holder.pids.join(', ')})`);
  return parts.join(' ');
}

interface Filters {
  readonly only?: ReadonlySet<string> | RegExp;
  readonly skip: ReadonlySet<string>;
  readonly seen: Set<string>;
}

function filtersOf(options: Pick<SchedulerOptions, 'only' | 'skip'>): Filters {
  const { only } = options;
  return {
    ...(only === undefined ? {} : { only: only instanceof RegExp ? only : new Set(only) }),
    skip: new Set(options.skip),
    seen: new Set(),
  };
}

function filterVerdict(
  step: Extract<Step, { kind: 'job' }>,
  filters: Filters,
): Omit<JobVerdict, 'job' | 'wouldRun'> | undefined {
  const { job } = step;
  if (filters.seen.has(job.id)) {
    return { reason: 'duplicate', detail: `${job.id} came earlier in the plan; the first occurrence wins` };
  }
  filters.seen.add(job.id);
  const { only } = filters;
  if (only instanceof RegExp) {
    only.lastIndex = 0;
    if (!only.test(job.id)) return { reason: 'not-selected', detail: `does not match -o ${only.source}` };
  } else if (only && !only.has(job.id)) {
    return { reason: 'not-selected', detail: `only ${[...only].join(', ')} selected (-o)` };
  }
  if (step.skip || filters.skip.has(job.id)) return { reason: 'skip', detail: `skip=${job.id}` };
  return undefined;
}

function timerVerdict(
  job: Job,
  record: StatusRecord | undefined,
  now: number,
): Omit<JobVerdict, 'job' | 'wouldRun'> | undefined {
  const next = nextEligibleAt(job, record, now);
  if (next <= now) return undefined;
  const last = record?.lastOk === true ? 'succeeded' : 'failed';
  const ended = record?.lastEnded !== undefined && record.lastEnded >= (record.lastStarted ?? 0);
  const at = (ended ? record?.lastEnded : record?.lastStarted) ?? 0;
  const again =
    next > LAST_DATE ? 'not again within any time that matters' : `eligible again at ${when(next)}`;
  return {
    reason: 'timer',
    nextEligible: next,
    record,
    detail: `last run ${last}, ${ended ? 'ended' : 'started'} at ${when(at)}; ${again} (-t ignores timers)`,
  };
}

/**
 * Answers, for every job of a plan, whether it would run now and why not — without starting or locking anything.
 * @example
 * for (const v of await explain(plan.steps, { store, locks })) console.log(v.job.id, v.wouldRun, v.detail);
 */
export async function explain(
  entries: Entries,
  options: Omit<SchedulerOptions, 'dryRun' | 'onEvent' | 'executor'> = {},
): Promise<JobVerdict[]> {
  const store = options.store ?? createMemoryStatusStore();
  const locks = options.locks ?? createMemoryLocks();
  const now = (options.clock ?? systemClock).now();
  const filters = filtersOf(options);
  const verdicts: JobVerdict[] = [];
  for await (const entry of entries) {
    const step = stepOf(entry);
    if (step.kind !== 'job') continue;
    const { job } = step;
    const filtered = filterVerdict(step, filters);
    if (filtered) {
      verdicts.push({ job, wouldRun: false, ...filtered });
      continue;
    }
    const record = await store.read(job);
    const holder = job.concurrencyPolicy === 'allow' ? undefined : await locks.holder(job);
    if (holder) {
      verdicts.push({
        job,
        wouldRun: false,
        reason: 'locked',
        holder,
        record,
        detail: `running: locked by ${holderText(holder)}`,
      });
      continue;
    }
    const timer = options.ignoreTimers ? undefined : timerVerdict(job, record, now);
    if (timer) verdicts.push({ job, wouldRun: false, ...timer });
    else
      verdicts.push({
        job,
        wouldRun: true,
        record,
        detail: record?.lastStarted === undefined ? 'never run' : 'eligible',
      });
  }
  return verdicts;
}

/** Wraps a `run` function as a process: kill aborts its signal. */
function startFunction(job: Job, run: NonNullable<Job['run']>): RunningProcess {
  const controller = new AbortController();
  const exited = Promise.resolve()
    .then(() => run({ job, signal: controller.signal }))
    .then(
      (code): ExitResult => ({ exitCode: typeof code === 'number' ? code : 0, signal: null }),
      (error: unknown): ExitResult => ({
        exitCode: 1,
        signal: null,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  return { exited, kill: (signal) => controller.abort(new Error(`job ${job.id} got ${signal}`)) };
}

/**
 * Runs a plan: steps in order, at most `max` jobs at once; each job takes its lock atomically before it starts,
 * is checked against its retry timer, runs, and has its status written before its lock is released.
 * Events arrive through `onEvent` and by iterating the result; iterate it in the same tick you call `runJobs`
 * to see every event.
 * @example
 * const run = runJobs([{ id: 'a', command: 'true' }, { id: 'b', run: async () => 0 }], { max: 2, executor: shellExecutor() });
 * for await (const e of run) if (e.type === 'finished') console.log(e.job.id, e.exitCode);
 * const { failed } = await run.summary;
 */
export function runJobs(entries: Entries, options: SchedulerOptions = {}): JobRun {
  const channel = new EventChannel<SchedulerEvent>();
  const summary = Promise.resolve().then(() => new Run(entries, options, channel).execute());
  summary.then(
    () => channel.close(),
    () => channel.close(),
  );
  return { summary, [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator]() };
}

const SKIP_REASONS: readonly SkipReason[] = [
  'not-selected',
  'skip',
  'duplicate',
  'timer',
  'locked',
  'aborted',
];

class Run {
  readonly #store: StatusStore;
  readonly #locks: LockPort;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #filters: Filters;
  #limit: number;
  #running = 0;
  #maxRunning = 0;
  /** Who waits for a slot (the launch in turn, and standby jobs the executor could not start). */
  readonly #slotWaiters = new Set<() => void>();
  /** Jobs whose lock is being taken (or held) ahead of a free slot, not yet started or skipped. */
  #ahead = 0;
  #aheadWaiter: (() => void) | undefined;
  /** The jobs taken ahead start one after another, in plan order. */
  #launches: Promise<void> = Promise.resolve();
  readonly #active = new Set<Promise<void>>();
  readonly #processes = new Set<RunningProcess>();
  readonly #skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
  readonly #failedJobs: string[] = [];
  #started = 0;
  #succeeded = 0;
  #barriers = 0;
  #barriersFailed = 0;

  constructor(
    readonly entries: Entries,
    readonly options: SchedulerOptions,
    readonly channel: EventChannel<SchedulerEvent>,
  ) {
    this.#store = options.store ?? createMemoryStatusStore();
    this.#locks = options.locks ?? createMemoryLocks();
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#limit = options.max ?? 6;
    this.#filters = filtersOf(options);
  }

  get #aborted(): boolean {
    return this.options.signal?.aborted === true;
  }

  /** The first error thrown by `onEvent`: the run still ends cleanly, then `summary` rejects with it. */
  #callbackError: { error: unknown } | undefined;

  #emit(event: SchedulerEvent): void {
    this.channel.push(event);
    try {
      this.options.onEvent?.(event);
    } catch (error) {
      this.#callbackError ??= { error };
    }
  }

  async execute(): Promise<RunSummary> {
    const begun = this.#clock.now();
    const onAbort = () => {
      // After the abort's other listeners (an executor withdraws its standby starts first, so that no process
      // ended by this starts one of them).
      queueMicrotask(() => {
        for (const process of this.#processes) this.#terminate(process);
      });
      for (const wake of this.#slotWaiters) wake();
      this.#aheadWaiter?.();
    };
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.options.dryRun) await this.#dryRun();
      else {
        // One step at a time: a plan read as it runs sees the effect of the steps before it.
        for await (const entry of this.entries) {
          const step = stepOf(entry);
          if (step.kind === 'max') {
            // The jobs above it start under the old limit, as if one at a time.
            await this.#launches;
            this.#limit = step.max;
          } else if (step.kind === 'barrier') await this.#barrier(step.job);
          else await this.#job(step);
        }
      }
      await this.#settle();
    } finally {
      this.options.signal?.removeEventListener('abort', onAbort);
    }
    const summary: RunSummary = {
      started: this.#started,
      succeeded: this.#succeeded,
      failed: this.#failedJobs.length,
      failedJobs: this.#failedJobs,
      skipped: this.#skipped,
      barriers: this.#barriers,
      barriersFailed: this.#barriersFailed,
      aborted: this.#aborted,
      durationMs: this.#clock.now() - begun,
      maxRunning: this.#maxRunning,
    };
    this.#emit({ type: 'done', summary, at: this.#clock.now() });
    if (this.#callbackError) throw this.#callbackError.error;
    return summary;
  }

  async #dryRun(): Promise<void> {
    const verdicts = await explain(this.entries, this.options);
    for (const v of verdicts) {
      const at = this.#clock.now();
      this.#emit({ type: 'queued', job: v.job, at });
      if (v.wouldRun) this.#emit({ type: 'would-run', job: v.job, detail: v.detail, at });
      else this.#skip(v.job, v);
    }
  }

  #skip(job: Job, why: Omit<JobVerdict, 'job' | 'wouldRun'>): void {
    const reason = why.reason ?? 'aborted';
    this.#skipped[reason] += 1;
    this.#emit({
      type: 'skipped',
      job,
      reason,
      detail: why.detail,
      ...(why.nextEligible === undefined ? {} : { nextEligible: why.nextEligible }),
      ...(why.holder === undefined ? {} : { holder: why.holder }),
      at: this.#clock.now(),
    });
  }

  /** Set while the run waits for every started job to end (nothing new starts meanwhile). */
  #draining = false;

  async #settle(): Promise<void> {
    await this.#launches;
    this.#draining = true;
    this.#flushIfIdle();
    try {
      while (this.#active.size > 0) await Promise.all(this.#active);
    } finally {
      this.#draining = false;
    }
  }

  /** Once no process runs and none will start, no more writes will join a batch: store what waits now. */
  #flushIfIdle(): void {
    if (this.#draining && this.#running === 0) this.#store.flush?.();
  }

  async #slot(): Promise<boolean> {
    while (this.#running >= this.#limit && !this.#aborted) {
      let wake = () => {};
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.#slotWaiters.add(resolve);
      });
      this.#slotWaiters.delete(wake);
    }
    if (this.#aborted) return false;
    this.#running += 1;
    this.#maxRunning = Math.max(this.#maxRunning, this.#running);
    return true;
  }

  #freeSlot(): void {
    this.#running -= 1;
    for (const wake of this.#slotWaiters) wake();
  }

  async #barrier(job: Job): Promise<void> {
    await this.#settle();
    if (this.#aborted) return;
    this.#barriers += 1;
    const begun = this.#clock.now();
    this.#emit({ type: 'barrier', job, at: begun });
    const result = await this.#watch(job, this.#start(job));
    if (!this.#isSuccess(job, result)) this.#barriersFailed += 1;
    this.#emit({
      type: 'finished',
      job,
      ...this.#outcome(job, result),
      durationMs: this.#clock.now() - begun,
      at: this.#clock.now(),
    });
  }

  #isSuccess(job: Job, result: ExitResult & { timedOut?: boolean }): boolean {
    if (result.signal !== null || result.exitCode === null || result.error !== undefined || result.timedOut)
      return false;
    return (job.successExitCodes ?? [0]).includes(result.exitCode);
  }

  #outcome(job: Job, result: ExitResult & { timedOut: boolean }) {
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      ok: this.#isSuccess(job, result),
      timedOut: result.timedOut,
      ...(result.error === undefined ? {} : { error: result.error }),
    };
  }

  /** A lock or status store that fails fails the job (with the reason), not the run. */
  #jobError(job: Job, error: unknown): void {
    if (!this.#failedJobs.includes(job.id)) this.#failedJobs.push(job.id);
    const message = error instanceof Error ? error.message : String(error);
    this.#emit({ type: 'error', job, message, at: this.#clock.now() });
  }

  /**
   * Takes a job in: the cheap checks in order, then its lock attempt begins at once, before a slot is free, so
   * that when a slot frees the next job starts without waiting for its lock (the lock is the slow part: files
   * and system calls). At most `max` jobs are taken ahead; they start in plan order.
   */
  async #job(step: Extract<Step, { kind: 'job' }>): Promise<void> {
    const { job } = step;
    this.#emit({ type: 'queued', job, at: this.#clock.now() });
    try {
      if (this.#aborted) return this.#skip(job, { reason: 'aborted', detail: 'the run was aborted' });
      const filtered = filterVerdict(step, this.#filters);
      if (filtered) return this.#skip(job, filtered);
      // A cheap look at the timer first, so that a job that cannot run does not wait for a slot or a lock.
      if (!this.options.ignoreTimers) {
        const timer = timerVerdict(job, await this.#store.read(job), this.#clock.now());
        if (timer) return this.#skip(job, timer);
      }
    } catch (error) {
      return this.#jobError(job, error);
    }
    // Standby jobs count as taken ahead: at most `max` jobs hold a lock before their slot.
    while (this.#ahead + this.#standingBy >= Math.max(1, this.#limit) && !this.#aborted) {
      await new Promise<void>((resolve) => {
        this.#aheadWaiter = resolve;
      });
      this.#aheadWaiter = undefined;
    }
    this.#ahead += 1;
    const locking: Promise<LockAttempt> =
      job.concurrencyPolicy === 'allow' || this.#aborted
        ? Promise.resolve({ acquired: true, lock: NO_LOCK })
        : Promise.resolve().then(() => this.#locks.tryLock(job));
    locking.catch(() => {}); // handled in #launch
    this.#launches = this.#launches.then(() =>
      this.#launch(job, locking).finally(() => {
        this.#ahead -= 1;
        this.#aheadWaiter?.();
      }),
    );
  }

  /** Starts a job taken in by #job once its lock is settled and a slot is free; never rejects. */
  async #launch(job: Job, locking: Promise<LockAttempt>): Promise<void> {
    let slot = false;
    let lock: JobLock | undefined;
    const skipUnlocking = async (why: Omit<JobVerdict, 'job' | 'wouldRun'>) => {
      const held = lock;
      lock = undefined;
      if (slot) {
        slot = false;
        await held?.release();
        this.#freeSlot();
      } else await held?.release();
      this.#skip(job, why);
    };
    try {
      const attempt = await locking;
      if (!attempt.acquired) {
        return this.#skip(job, {
          reason: 'locked',
          detail: `already running: locked by ${holderText(attempt.holder)}`,
          ...(attempt.holder ? { holder: attempt.holder } : {}),
        });
      }
      lock = attempt.lock === NO_LOCK ? undefined : attempt.lock;
      const standby = this.#canStandBy(job);
      if (standby) {
        // Every slot is taken: the executor starts the job the moment one of its jobs ends, without a round trip
        // through this process, after the checks made under the lock; the next job is taken in meanwhile.
        const previous = await this.#store.read(job);
        const timer = this.options.ignoreTimers ? undefined : timerVerdict(job, previous, this.#clock.now());
        if (timer || this.#aborted)
          return await skipUnlocking(timer ?? { reason: 'aborted', detail: 'the run was aborted' });
        const held = lock;
        lock = undefined;
        this.#standingBy += 1;
        const active = this.#standBy(job, held, previous, standby).finally(() => {
          this.#active.delete(active);
        });
        this.#active.add(active);
        return;
      }
      if (!(await this.#slot()))
        return await skipUnlocking({ reason: 'aborted', detail: 'the run was aborted' });
      slot = true;
      // Under the lock, the record is current: another scheduler may have run the job a moment ago.
      const previous = await this.#store.read(job);
      const timer = this.options.ignoreTimers ? undefined : timerVerdict(job, previous, this.#clock.now());
      if (timer || this.#aborted)
        return await skipUnlocking(timer ?? { reason: 'aborted', detail: 'the run was aborted' });
      let slotHeld = true;
      const freeSlot = () => {
        if (slotHeld) this.#freeSlot();
        slotHeld = false;
      };
      // From here #runLocked owns the slot and the lock.
      const held = lock;
      lock = undefined;
      slot = false;
      const active = this.#runLocked(job, held, previous, freeSlot).finally(() => {
        this.#active.delete(active);
        freeSlot();
      });
      this.#active.add(active);
    } catch (error) {
      await lock?.release().catch(() => {});
      if (slot) this.#freeSlot();
      this.#jobError(job, error);
    }
  }

  /** Jobs handed to the executor's standby start that have not started yet. */
  #standingBy = 0;

  /** A standby job: it takes the slot of the job whose end let it start; never rejects. */
  async #standBy(
    job: Job,
    lock: JobLock | undefined,
    previous: StatusRecord | undefined,
    standby: NonNullable<Executor['standby']>,
  ): Promise<void> {
    let starting: Promise<RunningProcess> | undefined;
    let slot = false;
    try {
      const process = await standby(job, this.#limit, this.options.signal);
      if (process !== undefined) {
        // It took the slot of the job whose end let it start: that end has been handled (its slot freed).
        this.#running += 1;
        this.#maxRunning = Math.max(this.#maxRunning, this.#running);
        slot = true;
        starting = Promise.resolve(process);
      }
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ECANCELLED') {
        this.#stoodBy();
        await lock?.release().catch(() => {});
        return this.#skip(job, { reason: 'aborted', detail: 'the run was aborted' });
      }
      // It could not start: reported as a start that failed, once a slot is free.
      starting = Promise.reject(error);
      starting.catch(() => {});
    }
    this.#stoodBy();
    // Not started (the executor could not stand by, or the start failed): a slot as any job waits for one.
    if (!slot && !(await this.#slot())) {
      await lock?.release().catch(() => {});
      return this.#skip(job, { reason: 'aborted', detail: 'the run was aborted' });
    }
    let slotHeld = true;
    const freeSlot = () => {
      if (slotHeld) this.#freeSlot();
      slotHeld = false;
    };
    await this.#runLocked(job, lock, previous, freeSlot, starting).finally(freeSlot);
  }

  #stoodBy(): void {
    this.#standingBy -= 1;
    this.#aheadWaiter?.();
  }

  /** Running jobs not started by the executor (`run` functions): while there are any, nothing stands by. */
  #unforked = 0;

  /** The executor's standby start, when every slot is taken and every running job is the executor's. */
  #canStandBy(job: Job): Executor['standby'] | undefined {
    const executor = this.options.executor;
    if (executor?.standby === undefined || job.run !== undefined || job.command === undefined)
      return undefined;
    if (this.#limit < 1 || this.#unforked > 0 || this.#aborted) return undefined;
    // Once one stands by, the next do too (they start in plan order, and none overtakes them).
    if (this.#running < this.#limit && this.#standingBy === 0) return undefined;
    return (j, below, signal) => executor.standby!(j, below, signal);
  }

  #start(job: Job): Promise<RunningProcess> {
    return Promise.resolve().then(() => {
      if (job.run) return startFunction(job, job.run);
      if (job.command === undefined) throw new Error(`job ${job.id} has neither command nor run`);
      if (!this.options.executor) throw new Error('no executor given for command jobs');
      return this.options.executor.start(job);
    });
  }

  /** Waits for the process to end, enforcing the job's timeout; never rejects. */
  async #watch(job: Job, starting: Promise<RunningProcess>, onStart?: (p: RunningProcess) => Promise<void>) {
    let process: RunningProcess;
    try {
      process = await starting;
    } catch (error) {
      return {
        exitCode: null,
        signal: null,
        timedOut: false,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    this.#processes.add(process);
    if (this.#aborted) this.#terminate(process);
    let timedOut = false;
    const timer =
      job.timeout === undefined
        ? undefined
        : this.#timers.setTimeout(() => {
            timedOut = true;
            this.#terminate(process);
          }, job.timeout);
    await onStart?.(process);
    const result = await process.exited;
    if (timer !== undefined) this.#timers.clearTimeout(timer);
    this.#processes.delete(process);
    return { ...result, timedOut };
  }

  readonly #graceTimers = new Map<RunningProcess, unknown>();

  #terminate(process: RunningProcess): void {
    if (this.#graceTimers.has(process)) return;
    process.kill('SIGTERM');
    const grace = this.#timers.setTimeout(() => process.kill('SIGKILL'), this.options.killGraceMs ?? 10_000);
    this.#graceTimers.set(process, grace);
    process.exited.then(() => {
      this.#timers.clearTimeout(grace);
      this.#graceTimers.delete(process);
    });
  }

  /** Runs a job whose lock is held; `processEnded` frees its slot as soon as its process is gone. */
  async #runLocked(
    job: Job,
    lock: JobLock | undefined,
    previous: StatusRecord | undefined,
    processEnded: () => void,
    starting?: Promise<RunningProcess>,
  ) {
    const begun = this.#clock.now();
    const unforked = job.run !== undefined;
    if (unforked) this.#unforked += 1;
    let ended = false;
    const processGone = () => {
      if (!ended && unforked) this.#unforked -= 1;
      ended = true;
      processEnded();
    };
    let started = recordStarted(previous, job.id, begun);
    this.#started += 1;
    let result: ExitResult & { timedOut: boolean };
    let counted: 'ok' | 'failed' | undefined;
    try {
      let startRecorded: Promise<void> = Promise.resolve();
      result = await this.#watch(job, starting ?? this.#start(job), async (process) => {
        if (process.pid !== undefined) {
          started = recordStarted(previous, job.id, begun, process.pid);
          await lock?.adopt?.(process.pid).catch(() => {});
        }
        this.#emit({
          type: 'started',
          job,
          ...(process.pid === undefined ? {} : { pid: process.pid }),
          at: begun,
        });
        // Written while the job runs; awaited before its end is written.
        startRecorded = this.#store.write(job, started);
        startRecorded.catch(() => {}); // handled where it is awaited
      });
      // The slot is for running processes: the next job may start while this one's end is being recorded
      // (its lock is still held until then).
      processGone();
      this.#flushIfIdle();
      const ended = this.#clock.now();
      const outcome = this.#outcome(job, result);
      if (outcome.ok) this.#succeeded += 1;
      else this.#failedJobs.push(job.id);
      counted = outcome.ok ? 'ok' : 'failed';
      // Emitted as the process ends (before any status write that may fail): every job that ran gets its
      // `finished`, and started-but-not-finished jobs never outnumber the limit.
      this.#emit({ type: 'finished', job, ...outcome, durationMs: ended - begun, at: ended });
      await startRecorded;
      const endRecorded = this.#store.write(job, recordFinished(job, started, ended, outcome));
      this.#flushIfIdle();
      await endRecorded;
    } catch (error) {
      // The job ran; its status could not be stored. Say so, and count it failed.
      if (counted === 'ok') this.#succeeded -= 1;
      const why = error instanceof Error ? error.message : String(error);
      this.#jobError(job, new Error(`status not stored: ${why}`));
    } finally {
      if (!ended) processGone();
      await lock?.release().catch(() => {});
    }
  }
}
