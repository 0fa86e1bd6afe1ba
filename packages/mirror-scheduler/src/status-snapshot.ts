import { isoSeconds } from './_iso-time.js';
import type { Job, Step } from './job.js';
import type { Clock, LockHolder, LockPort, StatusStore } from './ports.js';
import {
  emptyTotals,
  type RunEntry,
  type RunHistoryStore,
  type RunResult,
  type RunTotals,
} from './run-history.js';
import { explain, type JobVerdict } from './scheduler.js';
import { interrupted, type StatusRecord } from './status-record.js';

/**
 * What a job is doing, in one word: `running` (its run holds its lock), `locked` (its lock is held, but no run of
 * it is recorded: another host, or someone's `lock`), `failing` (its last run failed), `queued` (sent to a fleet's
 * queue, waiting for a worker), `waiting` (for its retry timer), `due` (would run now), `never` (never run; due),
 * `skipped` (`skip=`).
 */
export type JobState = 'running' | 'locked' | 'failing' | 'queued' | 'waiting' | 'due' | 'never' | 'skipped';

/** Every {@link JobState}, most urgent first: the order status pages list jobs in. */
export const JOB_STATES: readonly JobState[] = [
  'failing',
  'locked',
  'running',
  'queued',
  'waiting',
  'due',
  'never',
  'skipped',
];

/**
 * How old the last success is against the job's own interval (`retryAfterSuccess`): `fresh` ≤ 1×, `late` ≤ 2×,
 * `stale` beyond (or never succeeded though tried); `unknown` for a job without an interval or never tried.
 */
export type Freshness = 'fresh' | 'late' | 'stale' | 'unknown';

/** The last attempt of a job: a finished run's result, or `running`/`interrupted` (its runner died mid-run). */
export interface LastAttempt {
  readonly start: number;
  readonly end?: number;
  readonly result: RunResult | 'running' | 'interrupted';
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly durationMs?: number;
}

/** Everything a status page shows about one job. Times are epoch milliseconds. */
export interface JobStatus {
  readonly job: Job;
  readonly state: JobState;
  /** Why, as a sentence: "running since …", "waiting for its timer until …", "locked by pid P on host H", … */
  readonly reason: string;
  /** Running or locked since. */
  readonly since?: number;
  readonly holder?: LockHolder;
  readonly lastSuccess?: number;
  readonly lastSuccessAgeMs?: number;
  readonly freshness: Freshness;
  /** `retryAfterSuccess` and `retryAfterFailure` (ms; 0 if unset). */
  readonly okIntervalMs: number;
  readonly failedIntervalMs: number;
  readonly lastAttempt?: LastAttempt;
  /** When it may run next; absent when it may run now (or is skipped). */
  readonly nextEligible?: number;
  /** Failed runs in a row (an interrupted run counts). */
  readonly consecutiveFailures: number;
  /** Its last runs, oldest first (empty without a history store). */
  readonly history: readonly RunEntry[];
  readonly totals: RunTotals;
  readonly record?: StatusRecord;
}

/** A whole plan's status at one moment: the header counts and one {@link JobStatus} per job. */
export interface StatusSnapshot {
  readonly at: number;
  /** The highest `max=` of the plan (default 6): how many jobs may run at once. */
  readonly limit: number;
  /** Jobs whose run holds their lock now (slots used). */
  readonly running: number;
  readonly failing: number;
  readonly stale: number;
  readonly counts: Readonly<Record<JobState, number>>;
  /** Most urgent first (see {@link JOB_STATES}), in plan order within a state. */
  readonly jobs: readonly JobStatus[];
  /** Things the reader should know about the data (a damaged history file, …). */
  readonly notes: readonly string[];
  /** The workers of a fleet (`mm --fleet`), when the status is a fleet's. */
  readonly fleet?: FleetOverview;
}

/** A worker of a fleet as a status page shows it. Times are epoch milliseconds. */
export interface FleetWorkerView {
  readonly worker: string;
  readonly hostname: string;
  readonly pid: number;
  /** Jobs it may run at once. */
  readonly max: number;
  readonly started: number;
  readonly heartbeat: number;
  /** `alive`: heard from within its lease; `silent`: not since; `stopped`: it said goodbye. */
  readonly state: 'alive' | 'silent' | 'stopped';
  /** What it runs: each job with the pid of its command and the fence of its lease. */
  readonly running: readonly {
    readonly jobId: string;
    readonly fence: number;
    readonly pid: number | null;
    readonly since: number;
  }[];
}

/** The fleet part of a {@link StatusSnapshot}: its workers, the queue and the limits per scope. */
export interface FleetOverview {
  readonly workers: readonly FleetWorkerView[];
  /** Jobs waiting in the queue. */
  readonly queued: number;
  /** `global` and `site:NAME`: slots used and allowed. */
  readonly limits: Readonly<Record<string, { readonly max: number; readonly used: number }>>;
}

/** What {@link statusSnapshot} reads. */
export interface StatusSnapshotOptions {
  readonly store: StatusStore;
  readonly locks?: LockPort;
  readonly history?: RunHistoryStore;
  readonly clock?: Clock;
  /** `skip=` ids: shown as skipped. */
  readonly skip?: readonly string[];
  /** The limit when the plan has no `max` step. @default 6 */
  readonly max?: number;
  readonly notes?: readonly string[];
}

const iso = (ms: number) => isoSeconds(ms);

function who(holder: LockHolder | undefined, pid: number | undefined): string {
  const parts: string[] = [];
  const p = pid ?? holder?.pids?.[0] ?? holder?.pid;
  if (p !== undefined) parts.push(`pid ${p}`);
  if (holder?.hostname) parts.push(`on host ${holder.hostname}`);
  return parts.join(' ');
}

function lastAttemptOf(
  record: StatusRecord | undefined,
  runs: readonly RunEntry[],
  locked: boolean,
): LastAttempt | undefined {
  if (record?.lastStarted === undefined) {
    const last = runs.findLast((r) => r.result !== 'skipped');
    return last && { ...last, durationMs: last.end - last.start };
  }
  const start = record.lastStarted;
  // A start without an end: still running if its lock is held, else its runner died.
  if (interrupted(record)) return { start, result: locked ? 'running' : 'interrupted' };
  // The history knows what the record cannot: a timeout or a cancellation.
  const same = runs.findLast((r) => r.result !== 'skipped' && Math.abs(r.start - start) < 1000);
  let result: RunResult = record.lastOk ? 'ok' : record.lastSignal ? 'signal' : 'failed';
  if (same && (same.result === 'ok') === (record.lastOk === true)) result = same.result;
  return {
    start,
    ...(record.lastEnded === undefined ? {} : { end: record.lastEnded }),
    result,
    exitCode: record.lastExitCode ?? null,
    signal: record.lastSignal ?? null,
    ...(record.lastDurationMs === undefined ? {} : { durationMs: record.lastDurationMs }),
  };
}

function freshnessOf(job: Job, lastSuccess: number | undefined, tried: boolean, now: number): Freshness {
  const interval = job.retryAfterSuccess ?? 0;
  if (lastSuccess === undefined) return tried ? 'stale' : 'unknown';
  if (interval <= 0) return 'unknown';
  const age = now - lastSuccess;
  return age <= interval ? 'fresh' : age <= 2 * interval ? 'late' : 'stale';
}

function failureText(failures: number, attempt: LastAttempt | undefined): string {
  const times = failures === 1 ? 'once' : `${failures} times`;
  let last = '';
  if (attempt?.result === 'interrupted') last = 'its last run never ended (its mm died)';
  else if (attempt?.result === 'timeout') last = 'last run timed out';
  else if (attempt?.result === 'cancelled') last = 'last run was cancelled';
  else if (attempt?.signal) last = `last run killed by ${attempt.signal}`;
  else if (attempt?.exitCode !== undefined && attempt.exitCode !== null)
    last = `last exit ${attempt.exitCode}`;
  return `failing ${times}${last ? ` (${last})` : ''}`;
}

const NO_RUNS: RunTotals = emptyTotals();

type Why = Pick<JobStatus, 'state' | 'reason' | 'since' | 'holder'>;

/** The state and its reason, from the verdict and the record. */
function whyOf(
  verdict: JobVerdict,
  attempt: LastAttempt | undefined,
  failures: number,
  wasInterrupted: boolean,
): Why {
  const { record, holder } = verdict;
  if (verdict.reason === 'skip' || verdict.reason === 'not-selected' || verdict.reason === 'duplicate')
    return { state: 'skipped', reason: `not run: ${verdict.detail}` };
  if (holder) {
    const mine = record?.running !== undefined && wasInterrupted;
    const since = mine ? record.running!.since : holder.since;
    const sinceText = since === undefined ? '' : ` since ${iso(since)}`;
    const by = who(holder, mine ? record.running?.pid : undefined);
    if (mine)
      return {
        state: 'running',
        reason: `running${sinceText}${by ? ` (${by})` : ''}`,
        since: since!,
        holder,
      };
    const locked: Why = {
      state: 'locked',
      reason: `locked by ${by || 'another process'}${sinceText}`,
      holder,
    };
    return since === undefined ? locked : { ...locked, since };
  }
  const timer = verdict.reason === 'timer' && verdict.nextEligible !== undefined;
  const failing = wasInterrupted || (record?.lastStarted !== undefined && record.lastOk !== true);
  if (failing) {
    const when = timer ? `retry after ${iso(verdict.nextEligible!)}` : 'due now';
    return { state: 'failing', reason: `${failureText(failures, attempt)}; ${when}` };
  }
  if (timer) return { state: 'waiting', reason: `waiting for its timer until ${iso(verdict.nextEligible!)}` };
  if (record?.lastStarted === undefined) return { state: 'never', reason: 'never run; due now' };
  return { state: 'due', reason: 'due now' };
}

function describe(
  verdict: JobVerdict,
  history: { runs: readonly RunEntry[]; totals: RunTotals } | undefined,
  now: number,
): JobStatus {
  const { job, record } = verdict;
  const runs = history?.runs ?? [];
  const attempt = lastAttemptOf(record, runs, verdict.holder !== undefined);
  const lastSuccess =
    record?.lastSucceeded ??
    (record?.lastOk === true ? record.lastEnded : undefined) ??
    runs.findLast((r) => r.result === 'ok')?.end;
  const wasInterrupted = record !== undefined && interrupted(record);
  const failures = (record?.consecutiveFailures ?? 0) + (wasInterrupted && !verdict.holder ? 1 : 0);
  const why = whyOf(verdict, attempt, failures, wasInterrupted);
  // Built once, field by field: a page of 10,000 jobs makes 10,000 of these.
  const status: { -readonly [K in keyof JobStatus]: JobStatus[K] } = {
    job,
    state: why.state,
    reason: why.reason,
    freshness: freshnessOf(job, lastSuccess, attempt !== undefined && attempt.result !== 'running', now),
    okIntervalMs: job.retryAfterSuccess ?? 0,
    failedIntervalMs: job.retryAfterFailure ?? 0,
    consecutiveFailures: failures,
    history: runs,
    totals: history?.totals ?? NO_RUNS,
  };
  if (why.since !== undefined) status.since = why.since;
  if (why.holder !== undefined) status.holder = why.holder;
  if (lastSuccess !== undefined) {
    status.lastSuccess = lastSuccess;
    status.lastSuccessAgeMs = now - lastSuccess;
  }
  if (attempt) status.lastAttempt = attempt;
  if (verdict.nextEligible !== undefined) status.nextEligible = verdict.nextEligible;
  if (record) status.record = record;
  return status;
}

/**
 * The status of every job of a plan right now — state and reason (from {@link explain}), last success and its
 * freshness, last attempt, next eligible time, recent runs — plus the header counts. Starts and locks nothing.
 * @example
 * const snap = await statusSnapshot(plan.steps, { store, locks, history, skip: plan.skip });
 * console.log(`${snap.running}/${snap.limit} running, ${snap.failing} failing, ${snap.stale} stale`);
 */
export async function statusSnapshot(
  entries: readonly (Step | Job)[],
  options: StatusSnapshotOptions,
): Promise<StatusSnapshot> {
  const clock = options.clock ?? { now: () => Date.now() };
  const now = clock.now();
  let limit: number | undefined;
  for (const e of entries) if ('kind' in e && e.kind === 'max') limit = Math.max(limit ?? 0, e.max);
  const verdicts = await explain(entries, {
    store: options.store,
    ...(options.locks ? { locks: options.locks } : {}),
    clock: { now: () => now },
    ...(options.skip ? { skip: options.skip } : {}),
  });
  const jobs: JobStatus[] = [];
  for (const v of verdicts) {
    if (v.reason === 'duplicate') continue;
    jobs.push(describe(v, await options.history?.read(v.job), now));
  }
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const j of jobs) counts[j.state] += 1;
  const rank = new Map(JOB_STATES.map((s, i) => [s, i]));
  const ordered = jobs
    .map((j, i) => ({ j, i }))
    .sort((a, b) => rank.get(a.j.state)! - rank.get(b.j.state)! || a.i - b.i)
    .map(({ j }) => j);
  return {
    at: now,
    limit: limit ?? options.max ?? 6,
    running: counts.running,
    failing: counts.failing,
    stale: jobs.filter((j) => j.freshness === 'stale').length,
    counts,
    jobs: ordered,
    notes: options.notes ?? [],
  };
}
