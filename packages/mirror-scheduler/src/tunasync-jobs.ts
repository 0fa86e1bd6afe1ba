import { isoSeconds } from './_iso-time.js';
import type { RunEntry } from './run-history.js';
import type { JobState, JobStatus, StatusSnapshot } from './status-snapshot.js';

/**
 * One job as tunasync's manager lists it at `/jobs` (what mirror sites' front ends render), plus mm's own
 * fields. Text times are `YYYY-MM-DD hh:mm:ss +0000`, `_ts` fields Unix seconds (0: never).
 */
export interface TunasyncJob {
  readonly name: string;
  readonly is_master: boolean;
  /** tunasync's status: `none`, `success`, `failed`, `pre-syncing` (queued in a fleet), `syncing`, `disabled`. */
  readonly status: 'none' | 'success' | 'failed' | 'pre-syncing' | 'syncing' | 'disabled';
  readonly last_update: string;
  readonly last_update_ts: number;
  readonly last_started: string;
  readonly last_started_ts: number;
  readonly last_ended: string;
  readonly last_ended_ts: number;
  readonly next_schedule: string;
  readonly next_schedule_ts: number;
  readonly upstream: string;
  readonly size: string;
  readonly error_msg: string;
  /** mm's additions: its state and why, failures in a row, the intervals (s), the recent runs. */
  readonly state: JobState;
  readonly reason: string;
  readonly freshness: string;
  readonly consecutive_failures: number;
  readonly ok_interval: number;
  readonly failed_interval: number;
  readonly last_result: string | null;
  readonly last_duration: number | null;
  readonly history: readonly RunEntry[];
}

function text(ms: number | undefined): string {
  if (ms === undefined) return '0001-01-01 00:00:00 +0000';
  return `${isoSeconds(ms, ' ').slice(0, -1)} +0000`;
}

const ts = (ms: number | undefined) => (ms === undefined ? 0 : Math.floor(ms / 1000));

function statusOf(j: JobStatus): TunasyncJob['status'] {
  if (j.state === 'running' || j.state === 'locked') return 'syncing';
  if (j.state === 'skipped') return 'disabled';
  if (j.state === 'queued') return 'pre-syncing';
  if (j.state === 'failing') return 'failed';
  return j.lastAttempt === undefined ? 'none' : 'success';
}

/**
 * The snapshot as a superset of tunasync's `/jobs` JSON, so that existing mirror front ends render it.
 * @example
 * res.end(JSON.stringify(tunasyncJobs(snapshot)));
 */
export function tunasyncJobs(snapshot: StatusSnapshot): TunasyncJob[] {
  return snapshot.jobs.map((j) => {
    const a = j.lastAttempt;
    return {
      name: j.job.id,
      is_master: true,
      status: statusOf(j),
      last_update: text(j.lastSuccess),
      last_update_ts: ts(j.lastSuccess),
      last_started: text(a?.start),
      last_started_ts: ts(a?.start),
      last_ended: text(a?.end),
      last_ended_ts: ts(a?.end),
      next_schedule: text(j.nextEligible ?? snapshot.at),
      next_schedule_ts: ts(j.nextEligible ?? snapshot.at),
      upstream: j.job.args?.find((arg) => /^[a-z]+:\/\//.test(arg)) ?? '',
      size: 'unknown',
      error_msg: j.state === 'failing' ? j.reason : '',
      state: j.state,
      reason: j.reason,
      freshness: j.freshness,
      consecutive_failures: j.consecutiveFailures,
      ok_interval: j.okIntervalMs / 1000,
      failed_interval: j.failedIntervalMs / 1000,
      last_result: a?.result ?? null,
      last_duration: a?.durationMs === undefined ? null : a.durationMs / 1000,
      history: j.history,
    };
  });
}
