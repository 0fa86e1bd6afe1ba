// The fleet's state as a StatusSnapshot: the same page, /jobs and /metrics as a single host's, from PostgreSQL.
import { isoSeconds } from '../_iso-time.js';
import type { Job, Step } from '../job.js';
import {
  DURATION_BUCKETS_SECONDS,
  emptyTotals,
  type JobHistory,
  type RunEntry,
  type RunResult,
  type RunTotals,
} from '../run-history.js';
import {
  JOB_STATES,
  type JobState,
  type JobStatus,
  type StatusSnapshot,
  statusSnapshot,
} from '../status-snapshot.js';
import type { FleetConnection } from './database.js';
import type { FleetJobData, FleetJobSpec } from './fleet-job.js';
import { type FleetStatus, fleetStatus } from './fleet-status.js';
import { fleetSnapshot } from './fleet-store.js';
import { ident } from './schema.js';

/** What {@link fleetStatusSnapshot} reads besides the database. */
export interface FleetStatusSnapshotOptions {
  /**
   * The plan's jobs (a configuration's steps); without them, the jobs the fleet knows: every job the queue
   * holds or held, and every job with a status record.
   */
  readonly steps?: readonly (Step | Job)[];
  /** Runs per job in each row's history strip. @default 10 */
  readonly historyRuns?: number;
}

/** The fleet's status twice: as a {@link StatusSnapshot} for the page, `/jobs` and `/metrics`, and as read. */
export interface FleetStatusSnapshot {
  readonly snapshot: StatusSnapshot;
  readonly status: FleetStatus;
}

const iso = (ms: number) => isoSeconds(ms);

/** A run of the fleet's history as a {@link RunEntry}; a run that lost its lease counts as failed. */
function entryOf(r: {
  started: Date;
  ended: Date;
  outcome: string;
  exit_code: number | null;
  signal: string | null;
  worker: string;
}): RunEntry {
  const start = r.started.getTime();
  const end = r.ended.getTime();
  if (r.outcome === 'ok') return { start, end, result: 'ok', exitCode: r.exit_code };
  if (r.outcome === 'cancelled') return { start, end, result: 'cancelled' };
  if (r.outcome === 'lost') return { start, end, result: 'failed', why: `${r.worker} lost its lease` };
  if (r.signal) return { start, end, result: 'signal', signal: r.signal };
  return { start, end, result: 'failed', exitCode: r.exit_code };
}

/**
 * The fleet's status as a {@link StatusSnapshot}, so that {@link renderStatusPage}, {@link tunasyncJobs} and
 * {@link formatMetrics} show it as they show a single host's: each job's state and reason — running on worker W
 * (pid P) since T with fence F; queued; waiting for its timer until T; failing N times — from the shared status,
 * the leases and the queue, its recent runs from the fleet's history, and a `fleet` section with the workers,
 * their heartbeats and what each runs. Times are the database's. Reads only.
 * @example
 * const { snapshot, status } = await fleetStatusSnapshot(fleet);
 * const page = renderStatusPage(snapshot);
 * const metrics = formatMetrics(snapshot) + formatFleetMetrics(status);
 */
export async function fleetStatusSnapshot(
  fleet: FleetConnection,
  options: FleetStatusSnapshotOptions = {},
): Promise<FleetStatusSnapshot> {
  const status = await fleetStatus(fleet);
  const snap = await fleetSnapshot(fleet.db);
  const s = ident(fleet.db.schema);
  // Every job the queue holds or held, newest first: the specs of jobs without a plan, and which are queued.
  const sent = await fleet.boss.findJobs<FleetJobData>(fleet.queue);
  sent.sort((a, b) => b.createdOn.getTime() - a.createdOn.getTime());
  const specs = new Map<string, FleetJobSpec>();
  const queuedSince = new Map<string, number>();
  for (const j of sent) {
    const spec = j.data?.job;
    if (!spec || typeof spec.id !== 'string') continue;
    if (!specs.has(spec.id)) specs.set(spec.id, spec);
    if ((j.state === 'created' || j.state === 'retry') && !queuedSince.has(spec.id))
      queuedSince.set(spec.id, j.createdOn.getTime());
  }
  let entries: readonly (Step | Job)[];
  if (options.steps) entries = options.steps;
  else {
    const ids = new Set([...specs.keys(), ...snap.records.keys()]);
    entries = [...ids].sort().map((id): Job => specs.get(id) ?? { id, command: '' });
  }
  const keep = options.historyRuns ?? 10;
  // The last `keep` runs of each job for its strip, and the totals over all its runs counted by the database
  // (the runs table only grows: the page reads a bounded number of rows, however long the fleet has run).
  const runs = await fleet.db.query<{
    job_id: string;
    started: Date;
    ended: Date;
    outcome: string;
    exit_code: number | null;
    signal: string | null;
    worker: string;
  }>(
    `SELECT job_id, started, ended, outcome, exit_code, signal, worker FROM (
       SELECT *, row_number() OVER (PARTITION BY job_id ORDER BY run_id DESC) AS nth FROM ${s}.runs
        WHERE ended IS NOT NULL AND outcome IS NOT NULL) r
      WHERE nth <= $1 ORDER BY job_id, run_id`,
    [keep],
  );
  const sums = await fleet.db.query<{
    job_id: string;
    result: RunResult;
    bucket: number;
    n: number;
    seconds: number;
  }>(
    `SELECT job_id, result, (SELECT count(*) FROM unnest($1::float8[]) b WHERE b < d)::int AS bucket,
            count(*)::int AS n, sum(d)::float8 AS seconds
       FROM (SELECT job_id,
                    CASE WHEN outcome = 'ok' THEN 'ok' WHEN outcome = 'cancelled' THEN 'cancelled'
                         WHEN outcome <> 'lost' AND signal IS NOT NULL THEN 'signal' ELSE 'failed' END AS result,
                    greatest(0, extract(epoch FROM ended - started))::float8 AS d
               FROM ${s}.runs WHERE ended IS NOT NULL AND outcome IS NOT NULL) r
      GROUP BY 1, 2, 3`,
    [DURATION_BUCKETS_SECONDS],
  );
  const histories = new Map<string, { runs: RunEntry[]; totals: RunTotals }>();
  const historyOf = (id: string) => {
    let h = histories.get(id);
    if (!h) {
      h = { runs: [], totals: emptyTotals() };
      histories.set(id, h);
    }
    return h;
  };
  for (const r of runs) historyOf(r.job_id).runs.push(entryOf(r));
  for (const t of sums) {
    const h = historyOf(t.job_id);
    const buckets = [...h.totals.buckets];
    buckets[t.bucket] = (buckets[t.bucket] ?? 0) + t.n;
    h.totals = {
      byResult: { ...h.totals.byResult, [t.result]: h.totals.byResult[t.result] + t.n },
      buckets,
      durationSumSeconds: h.totals.durationSumSeconds + t.seconds,
      durationCount: h.totals.durationCount + t.n,
    };
  }
  const global = status.limits.global?.max;
  const base = await statusSnapshot(entries, {
    store: snap.store,
    locks: snap.locks,
    clock: { now: () => snap.now },
    history: {
      read: async (job) => histories.get(job.id) as JobHistory | undefined,
      append: async () => {
        throw new Error('the fleet status page writes nothing');
      },
    },
    ...(global === undefined ? {} : { max: global }),
  });
  const leases = new Map(status.jobs.flatMap((j) => (j.running ? [[j.id, j.running] as const] : [])));
  const jobs = base.jobs.map((j): JobStatus => {
    const lease = leases.get(j.job.id);
    if (lease) {
      const since = lease.since.getTime();
      const pid = lease.pid === null ? '' : ` pid ${lease.pid}`;
      return {
        ...j,
        state: 'running',
        reason: `running on worker ${lease.worker}${pid} since ${iso(since)} with fence ${lease.fence}`,
        since,
        holder: { hostname: lease.worker, ...(lease.pid === null ? {} : { pid: lease.pid }), since },
      };
    }
    const queued = queuedSince.get(j.job.id);
    if (queued === undefined || j.state === 'skipped') return j;
    if (j.state === 'failing') return { ...j, reason: j.reason.replace(/; [^;]*$/, '; queued for a rerun') };
    return { ...j, state: 'queued', reason: `queued since ${iso(queued)}, waiting for a worker and a slot` };
  });
  const counts = Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobState, number>;
  for (const j of jobs) counts[j.state] += 1;
  const rank = new Map(JOB_STATES.map((st, i) => [st, i]));
  const ordered = jobs
    .map((j, i) => ({ j, i }))
    .sort((a, b) => rank.get(a.j.state)! - rank.get(b.j.state)! || a.i - b.i)
    .map(({ j }) => j);
  const snapshot: StatusSnapshot = {
    ...base,
    running: counts.running,
    failing: counts.failing,
    counts,
    jobs: ordered,
    fleet: {
      queued: status.queued,
      limits: status.limits,
      workers: status.workers.map((w) => ({
        worker: w.worker,
        hostname: w.hostname,
        pid: w.pid,
        max: w.max,
        started: w.started.getTime(),
        heartbeat: w.heartbeat.getTime(),
        state: w.stopped ? 'stopped' : w.alive ? 'alive' : 'silent',
        running: w.running.map((r) => ({
          jobId: r.jobId,
          fence: r.fence,
          pid: r.pid,
          since: r.since.getTime(),
        })),
      })),
    },
  };
  return { snapshot, status };
}
