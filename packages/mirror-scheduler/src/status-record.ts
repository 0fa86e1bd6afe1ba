import type { Job } from './job.js';

/**
 * Everything known about a job's runs: richer than an mm.status line (which keeps only the last start, the wait
 * status and the lock). All times are epoch milliseconds.
 */
export interface StatusRecord {
  readonly id: string;
  /** When the last run started (mm.status: LAST_TRIED while it runs). */
  readonly lastStarted?: number;
  /**
   * When the last run ended (mm.status: LAST_TRIED once it ended, as mm.pl writes it); earlier than
   * `lastStarted` while running or if its mm was killed.
   */
  readonly lastEnded?: number;
  /** The pid of the last run's process (mm.status keeps it after the run, as mm.pl does). */
  readonly lastPid?: number;
  readonly lastExitCode?: number | null;
  readonly lastSignal?: string | null;
  /** Whether the last finished run succeeded. */
  readonly lastOk?: boolean;
  /** When the last successful run ended (kept through later failures: a mirror's "last update"). */
  readonly lastSucceeded?: number;
  readonly lastDurationMs?: number;
  readonly consecutiveFailures: number;
  /** When the job may run again, as computed when the last run ended. */
  readonly nextEligible?: number;
  /** Set while a run is in progress: its pid (if a process) and who runs it. */
  readonly running?: { readonly pid?: number; readonly since: number };
}

/** Whether the last start never got an end recorded (its runner died): counted as a failure. */
export function interrupted(record: StatusRecord): boolean {
  return record.lastStarted !== undefined && (record.lastEnded ?? -1) < record.lastStarted;
}

/**
 * When `job` may run again given its record: the end of the last run plus `retryAfterSuccess` after a success,
 * plus `retryAfterFailure` (stretched by the job's backoff) after a failure; an interrupted run (no end recorded)
 * counts from its start, as a failure. Given `now`, a last run recorded in the future (the clock was stepped back)
 * does not hold the job back: its time cannot be trusted, and waiting for it could last far longer than the
 * interval. `Infinity` means never.
 * @example
 * nextEligibleAt({ id: 'a:b', retryAfterSuccess: 10 }, { id: 'a:b', lastStarted: 100, lastEnded: 105, lastOk: true, consecutiveFailures: 0 }); // 115
 */
export function nextEligibleAt(job: Job, record: StatusRecord | undefined, now?: number): number {
  if (record?.lastStarted === undefined) return Number.NEGATIVE_INFINITY;
  const cut = interrupted(record);
  const base = cut ? record.lastStarted : (record.lastEnded ?? record.lastStarted);
  if (now !== undefined && base > now) return Number.NEGATIVE_INFINITY;
  const failed = cut || record.lastOk !== true;
  if (!failed) return base + (job.retryAfterSuccess ?? 0);
  const wait = job.retryAfterFailure ?? 0;
  const failures = Math.max(1, record.consecutiveFailures);
  if (job.backoff === undefined || failures <= 1) return base + wait;
  const stretched = wait * (job.backoff.factor ?? 2) ** (failures - 1);
  return base + Math.min(stretched, job.backoff.max ?? Number.POSITIVE_INFINITY);
}

/** The record after a run started at `now` by process `pid`. */
export function recordStarted(
  previous: StatusRecord | undefined,
  id: string,
  now: number,
  pid?: number,
): StatusRecord {
  const base: StatusRecord = previous ?? { id, consecutiveFailures: 0 };
  // A start whose end was never recorded counts as a failure before the next start overwrites it.
  const failures =
    previous && interrupted(previous) ? previous.consecutiveFailures + 1 : base.consecutiveFailures;
  return {
    ...base,
    id,
    lastStarted: now,
    consecutiveFailures: failures,
    ...(pid === undefined ? {} : { lastPid: pid }),
    running: pid === undefined ? { since: now } : { pid, since: now },
  };
}

/** The record after the run that started at `started.lastStarted` ended at `now`. A success clears failures. */
export function recordFinished(
  job: Job,
  started: StatusRecord,
  now: number,
  result: { readonly exitCode: number | null; readonly signal: string | null; readonly ok: boolean },
): StatusRecord {
  const { running: _, ...rest } = started;
  const record: StatusRecord = {
    ...rest,
    lastEnded: now,
    lastExitCode: result.exitCode,
    lastSignal: result.signal,
    lastOk: result.ok,
    lastDurationMs: now - (started.lastStarted ?? now),
    consecutiveFailures: result.ok ? 0 : started.consecutiveFailures + 1,
    ...(result.ok ? { lastSucceeded: now } : {}),
  };
  return { ...record, nextEligible: nextEligibleAt(job, record) };
}
