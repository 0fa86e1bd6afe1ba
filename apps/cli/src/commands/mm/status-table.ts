import type { JobVerdict, LockHolder, StatusRecord } from '@suite/mirror-scheduler';
import { interrupted, nextEligibleAt } from '@suite/mirror-scheduler';
import type { MirrorJob } from '@suite/mirror-scheduler/mm';

/** One row of `mm --status`: what is known about a job. */
export interface StatusRow {
  readonly id: string;
  readonly home: string;
  readonly lastResult: 'never' | 'ok' | 'failed' | 'running' | 'interrupted';
  readonly lastExitCode: number | null;
  readonly lastSignal: string | null;
  readonly lastStarted: string | null;
  readonly lastEnded: string | null;
  readonly lastDurationMs: number | null;
  readonly consecutiveFailures: number;
  readonly nextEligible: string | null;
  readonly lockedBy: LockHolder | null;
}

// Beyond the last date a Date can hold (retry hours like 9999999999, meant as "never"), there is no date to print.
const iso = (ms: number | undefined) =>
  ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15
    ? null
    : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function statusRow(
  job: MirrorJob,
  record: StatusRecord | undefined,
  holder: LockHolder | undefined,
  now = Date.now(),
): StatusRow {
  let lastResult: StatusRow['lastResult'] = 'never';
  if (holder) lastResult = 'running';
  else if (record?.lastStarted !== undefined)
    lastResult = interrupted(record) ? 'interrupted' : record.lastOk ? 'ok' : 'failed';
  const next = nextEligibleAt(job, record, now);
  return {
    id: job.id,
    home: job.cwd,
    lastResult,
    lastExitCode: record?.lastExitCode ?? null,
    lastSignal: record?.lastSignal ?? null,
    lastStarted: iso(record?.lastStarted),
    lastEnded: iso(record?.lastEnded),
    lastDurationMs: record?.lastDurationMs ?? null,
    consecutiveFailures: record?.consecutiveFailures ?? 0,
    nextEligible: next <= now ? 'now' : (iso(next) ?? 'never'),
    // A lock that names only mm's fork helper: the job's process is the one its record says is running.
    lockedBy:
      holder && !holder.pids?.length && record?.running?.pid !== undefined
        ? { ...holder, pids: [record.running.pid] }
        : (holder ?? null),
  };
}

function resultText(row: StatusRow): string {
  if (row.lastResult !== 'failed') return row.lastResult;
  const why = row.lastSignal ? row.lastSignal : `exit ${row.lastExitCode ?? '?'}`;
  return `failed (${why}${row.consecutiveFailures > 1 ? `, ${row.consecutiveFailures}x` : ''})`;
}

function holderText(holder: LockHolder | null): string {
  if (!holder) return '-';
  const who = holder.pid === undefined ? '?' : `pid ${holder.pid}`;
  return `${who}${holder.hostname ? `@${holder.hostname}` : ''}${holder.pids?.length ? ` (job ${holder.pids.join(',')})` : ''}`;
}

/** The table `mm --status` prints: aligned columns, one job per line. */
export function formatStatusTable(rows: readonly StatusRow[], now: number): string {
  const nextText = (row: StatusRow) =>
    row.nextEligible === 'now' ||
    (row.nextEligible !== null && row.nextEligible !== 'never' && Date.parse(row.nextEligible) <= now)
      ? 'now'
      : (row.nextEligible ?? '-');
  const table = [
    ['JOB', 'LAST RESULT', 'LAST RUN', 'NEXT ELIGIBLE', 'LOCKED BY'],
    ...rows.map((r) => [r.id, resultText(r), r.lastStarted ?? '-', nextText(r), holderText(r.lockedBy)]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table
    .map(
      (row) =>
        `${row
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

/** The lines `mm --dry-run` prints. */
export function formatVerdicts(verdicts: readonly JobVerdict[]): string {
  return verdicts
    .map((v) => `${v.job.id}: ${v.wouldRun ? 'would run' : `would not run (${v.reason})`}: ${v.detail}\n`)
    .join('');
}
