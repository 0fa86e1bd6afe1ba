import type { StatusRecord } from '../status-record.js';
import type { FleetConnection } from './database.js';
import { ident } from './schema.js';

/** A worker of the fleet as its heartbeats show it. */
export interface FleetWorkerRow {
  readonly worker: string;
  readonly hostname: string;
  readonly pid: number;
  readonly max: number;
  readonly started: Date;
  readonly heartbeat: Date;
  /** Heard from within its lease, and not stopped. */
  readonly alive: boolean;
  readonly stopped: Date | null;
  /** The jobs it holds leases for. */
  readonly running: readonly {
    readonly jobId: string;
    readonly fence: number;
    readonly pid: number | null;
    readonly since: Date;
  }[];
}

/** A job the fleet has seen: its status record and, while it runs, who runs it. */
export interface FleetJobRow {
  readonly id: string;
  readonly record: StatusRecord;
  readonly running?: {
    readonly worker: string;
    readonly fence: number;
    readonly pid: number | null;
    readonly since: Date;
    readonly expires: Date;
  };
}

/** The fleet at a glance: workers, jobs, the queue and the limits. */
export interface FleetStatus {
  readonly workers: readonly FleetWorkerRow[];
  readonly jobs: readonly FleetJobRow[];
  /** Jobs waiting in the queue (created or retry). */
  readonly queued: number;
  readonly limits: Readonly<Record<string, { readonly max: number; readonly used: number }>>;
  /** The database's clock. */
  readonly now: Date;
}

/**
 * Reads who is in the fleet and who runs what, for `mm --status --fleet` and status pages.
 * @example
 * const { workers, jobs } = await fleetStatus(fleet);
 * for (const w of workers) console.log(w.worker, w.alive, w.running.map((r) => r.jobId));
 */
export async function fleetStatus(fleet: FleetConnection): Promise<FleetStatus> {
  const s = ident(fleet.db.schema);
  const [clock] = await fleet.db.query<{ now: Date }>(`SELECT clock_timestamp() AS now`);
  const now = clock!.now;
  const workers = await fleet.db.query<{
    worker: string;
    hostname: string;
    pid: number;
    max: number;
    lease_ms: number;
    started: Date;
    heartbeat: Date;
    stopped: Date | null;
  }>(`SELECT * FROM ${s}.workers ORDER BY started`);
  const leases = await fleet.db.query<{
    job_id: string;
    worker: string;
    fence: string;
    pid: number | null;
    since: Date;
    expires: Date;
  }>(`SELECT job_id, worker, fence, pid, since, expires FROM ${s}.lease WHERE running ORDER BY job_id`);
  const records = await fleet.db.query<{ job_id: string; record: StatusRecord }>(
    `SELECT job_id, record FROM ${s}.status ORDER BY job_id`,
  );
  const limits = await fleet.db.query<{ scope: string; max: number; used: number }>(
    `SELECT l.scope, l.max,
            (SELECT count(*) FROM ${s}.slots x WHERE x.scope = l.scope AND x.job_id IS NOT NULL)::int AS used
       FROM ${s}.limits l ORDER BY l.scope`,
  );
  // Counted now: the queue's queuedCount is a statistic pg-boss refreshes only every so often.
  const queued = (await fleet.boss.findJobs(fleet.queue, { queued: true })).length;
  const leaseOf = new Map(leases.map((l) => [l.job_id, l]));
  return {
    now,
    queued,
    limits: Object.fromEntries(limits.map((l) => [l.scope, { max: l.max, used: l.used }])),
    workers: workers.map((w) => ({
      worker: w.worker,
      hostname: w.hostname,
      pid: w.pid,
      max: w.max,
      started: w.started,
      heartbeat: w.heartbeat,
      stopped: w.stopped,
      alive: w.stopped === null && now.getTime() - w.heartbeat.getTime() <= w.lease_ms,
      running: leases
        .filter((l) => l.worker === w.worker)
        .map((l) => ({ jobId: l.job_id, fence: Number(l.fence), pid: l.pid, since: l.since })),
    })),
    jobs: records.map((r) => {
      const l = leaseOf.get(r.job_id);
      return {
        id: r.job_id,
        record: r.record,
        ...(l
          ? {
              running: {
                worker: l.worker,
                fence: Number(l.fence),
                pid: l.pid,
                since: l.since,
                expires: l.expires,
              },
            }
          : {}),
      };
    }),
  };
}

/**
 * Cancels a job in the fleet: a queued one is removed from the queue, a running one is stopped by its worker
 * (SIGTERM, then SIGKILL after its grace period) at its next heartbeat, and its end recorded as cancelled.
 * Returns what it found: `queued`, `running` or `none`.
 * @example
 * await cancelFleetJob(fleet, 'ftp.gnu.org:gnu'); // 'running'
 */
export async function cancelFleetJob(
  fleet: FleetConnection,
  id: string,
): Promise<'queued' | 'running' | 'none'> {
  const s = ident(fleet.db.schema);
  const running = await fleet.db.query(
    `UPDATE ${s}.lease SET cancel = true WHERE job_id = $1 AND running RETURNING job_id`,
    [id],
  );
  if (running.length) return 'running';
  const queued = await fleet.boss.findJobs(fleet.queue, { key: id, queued: true });
  if (queued.length === 0) return 'none';
  await fleet.boss.cancel(
    fleet.queue,
    queued.map((j) => j.id),
  );
  return 'queued';
}
