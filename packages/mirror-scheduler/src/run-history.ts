import type { SchedulerEvent } from './events.js';
import type { Job } from './job.js';

/**
 * How a run ended: `ok`; `failed` (an exit status not counted as success, or it could not start); `signal`
 * (killed by a signal nobody of ours sent); `timeout` (killed after the job's timeout); `cancelled` (stopped
 * because the run was aborted, e.g. mm got SIGTERM); `skipped` (it was due but did not start: locked elsewhere,
 * or the run was aborted first; `why` says which).
 */
export type RunResult = 'ok' | 'failed' | 'signal' | 'timeout' | 'cancelled' | 'skipped';

/** Every {@link RunResult}, in the order pages and metrics list them. */
export const RUN_RESULTS: readonly RunResult[] = [
  'ok',
  'failed',
  'signal',
  'timeout',
  'cancelled',
  'skipped',
];

/** One run of a job, as the history keeps it. Times are epoch milliseconds. */
export interface RunEntry {
  readonly start: number;
  /** Equal to `start` for a skip. */
  readonly end: number;
  readonly result: RunResult;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  /** For `skipped`: why (`locked: ...`, `aborted`); for `failed` without an exit status: the error. */
  readonly why?: string;
}

/**
 * Upper bounds (seconds) of the run-duration histogram buckets; the last bucket is +Inf. From a second to a day:
 * mirror runs range from a no-op rsync to a full resync.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400,
];

/**
 * Counts over every run ever recorded for a job (not only the kept ones): runs by result and a histogram of
 * the durations of runs that started (skips excluded). They only grow, so metrics can expose them as counters.
 */
export interface RunTotals {
  readonly byResult: Readonly<Record<RunResult, number>>;
  /** Runs per duration bucket (not cumulative): index i counts durations ≤ DURATION_BUCKETS_SECONDS[i] and above the previous bound; the last index counts the rest. */
  readonly buckets: readonly number[];
  readonly durationSumSeconds: number;
  readonly durationCount: number;
}

/** What the history knows about one job: its last runs (oldest first) and the totals over all its runs. */
export interface JobHistory {
  readonly runs: readonly RunEntry[];
  readonly totals: RunTotals;
}

/**
 * Where run histories live (the Node adapter: `mm.history.jsonl` beside mm.status.json).
 * @example
 * const history = createMemoryRunHistory();
 * await history.append({ id: 'a:b' }, { start: 0, end: 5, result: 'ok', exitCode: 0 });
 * (await history.read({ id: 'a:b' }))?.runs.length; // 1
 */
export interface RunHistoryStore {
  /** Adds a run; kept crash-safe by the store (a torn write loses at most that run). */
  append(job: Job, entry: RunEntry): Promise<void>;
  read(job: Job): Promise<JobHistory | undefined>;
}

/** The empty totals. */
export function emptyTotals(): RunTotals {
  return {
    byResult: { ok: 0, failed: 0, signal: 0, timeout: 0, cancelled: 0, skipped: 0 },
    buckets: DURATION_BUCKETS_SECONDS.map(() => 0).concat(0),
    durationSumSeconds: 0,
    durationCount: 0,
  };
}

/** The bucket index of a duration in seconds. */
function bucketOf(seconds: number): number {
  const i = DURATION_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
  return i < 0 ? DURATION_BUCKETS_SECONDS.length : i;
}

/**
 * Totals with `entry` counted.
 * @example
 * addToTotals(emptyTotals(), { start: 0, end: 3000, result: 'ok' }).buckets[1]; // 1 (≤ 10 s)
 */
export function addToTotals(totals: RunTotals, entry: RunEntry): RunTotals {
  const byResult = { ...totals.byResult, [entry.result]: totals.byResult[entry.result] + 1 };
  if (entry.result === 'skipped') return { ...totals, byResult };
  const seconds = Math.max(0, entry.end - entry.start) / 1000;
  const buckets = [...totals.buckets];
  const i = bucketOf(seconds);
  buckets[i] = (buckets[i] ?? 0) + 1;
  return {
    byResult,
    buckets,
    durationSumSeconds: totals.durationSumSeconds + seconds,
    durationCount: totals.durationCount + 1,
  };
}

/** The sum of two totals. */
export function mergeTotals(a: RunTotals, b: RunTotals): RunTotals {
  const byResult = { ...a.byResult };
  for (const r of RUN_RESULTS) byResult[r] += b.byResult[r];
  return {
    byResult,
    buckets: a.buckets.map((n, i) => n + (b.buckets[i] ?? 0)),
    durationSumSeconds: a.durationSumSeconds + b.durationSumSeconds,
    durationCount: a.durationCount + b.durationCount,
  };
}

/**
 * The history entry a scheduler event stands for, or nothing: a finished run (classed by how it ended), or a
 * skip of a job that was due (`locked`, `aborted`). Timer skips are not runs; barriers (`cmd=`) are not jobs.
 * `cancelled` tells whether the run was being aborted when the job ended.
 * @example
 * runEntryOf({ type: 'finished', job, exitCode: 1, signal: null, ok: false, timedOut: false, durationMs: 5, at: 105 });
 * // { start: 100, end: 105, result: 'failed', exitCode: 1, signal: null }
 */
export function runEntryOf(event: SchedulerEvent, cancelled = false): RunEntry | undefined {
  if (event.type === 'skipped') {
    if (event.reason !== 'locked' && event.reason !== 'aborted') return undefined;
    return { start: event.at, end: event.at, result: 'skipped', why: `${event.reason}: ${event.detail}` };
  }
  if (event.type === 'error') {
    return { start: event.at, end: event.at, result: 'failed', why: event.message };
  }
  if (event.type !== 'finished') return undefined;
  const start = event.at - event.durationMs;
  const base = { start, end: event.at, exitCode: event.exitCode, signal: event.signal };
  if (event.ok) return { ...base, result: 'ok' };
  if (event.timedOut) return { ...base, result: 'timeout' };
  if (cancelled) return { ...base, result: 'cancelled' };
  if (event.signal !== null) return { ...base, result: 'signal' };
  return event.error === undefined
    ? { ...base, result: 'failed' }
    : { ...base, result: 'failed', why: event.error };
}

/** Feeds a run's events into a history store: pass `event` as (part of) `onEvent`, then await `settled()`. */
export interface RunHistoryRecorder {
  readonly event: (event: SchedulerEvent) => void;
  /** Resolves when every entry seen so far is stored; rejects with the first store failure. */
  settled(): Promise<void>;
}

/**
 * Records a run's outcomes in `store` as its events arrive. Barrier commands are left out; a job that ran and
 * then failed to store its status is recorded once, as it ended.
 * @example
 * const recorder = runHistoryRecorder(history, { signal: controller.signal });
 * await runJobs(jobs, { store, onEvent: recorder.event, signal: controller.signal }).summary;
 * await recorder.settled();
 */
export function runHistoryRecorder(
  store: RunHistoryStore,
  options: { readonly signal?: AbortSignal } = {},
): RunHistoryRecorder {
  const pending = new Set<Promise<void>>();
  const barriers = new Set<string>();
  const finished = new Set<string>();
  let failure: { error: unknown } | undefined;
  return {
    event(e) {
      if (e.type === 'barrier') barriers.add(e.job.id);
      if (e.type === 'done' || !('job' in e) || barriers.has(e.job.id)) return;
      if (e.type === 'error' && finished.has(e.job.id)) return;
      if (e.type === 'finished') finished.add(e.job.id);
      const entry = runEntryOf(e, options.signal?.aborted === true);
      if (entry === undefined) return;
      const write = store.append(e.job, entry).then(
        () => {
          pending.delete(write);
        },
        (error: unknown) => {
          pending.delete(write);
          failure ??= { error };
        },
      );
      pending.add(write);
    },
    async settled() {
      while (pending.size > 0) await Promise.all(pending);
      if (failure) throw failure.error;
    },
  };
}

/**
 * Run histories in memory, `keep` runs per job: for tests and for CI scripts that keep no state.
 * @example
 * const history = createMemoryRunHistory(5);
 */
export function createMemoryRunHistory(keep = 10): RunHistoryStore {
  const jobs = new Map<string, { runs: RunEntry[]; folded: RunTotals }>();
  return {
    async append(job, entry) {
      const h = jobs.get(job.id) ?? { runs: [], folded: emptyTotals() };
      jobs.set(job.id, h);
      h.runs.push(entry);
      while (h.runs.length > keep) h.folded = addToTotals(h.folded, h.runs.shift()!);
    },
    async read(job) {
      const h = jobs.get(job.id);
      if (!h) return undefined;
      return { runs: [...h.runs], totals: h.runs.reduce(addToTotals, h.folded) };
    },
  };
}
