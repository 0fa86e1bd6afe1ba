import type { Job } from '../job.js';
import type { LockHolder, LockPort, StatusStore } from '../ports.js';
import type { StatusRecord } from '../status-record.js';
import type { FleetDatabase } from './database.js';
import { ident } from './schema.js';

/** A read of the fleet's status and leases, taken once for a whole plan (two statements, however many jobs). */
export interface FleetSnapshot {
  readonly store: StatusStore;
  readonly locks: LockPort;
  /** The database's clock when the snapshot was taken (epoch ms): the planner's "now". */
  readonly now: number;
  readonly records: ReadonlyMap<string, StatusRecord>;
}

/**
 * Reads the status records and running leases of the fleet: a {@link StatusStore} and a {@link LockPort} whose
 * `holder` names the worker running a job, for {@link explain} and the status table. Writes are the workers'.
 * @example
 * const snap = await fleetSnapshot(fleet.db);
 * const verdicts = await explain(plan.steps, { store: snap.store, locks: snap.locks, clock: { now: () => snap.now } });
 */
export async function fleetSnapshot(db: FleetDatabase): Promise<FleetSnapshot> {
  const s = ident(db.schema);
  const rows = await db.query<{ job_id: string; record: StatusRecord }>(
    `SELECT job_id, record FROM ${s}.status`,
  );
  const leases = await db.query<{
    job_id: string;
    worker: string;
    pid: number | null;
    since: Date;
    now: number;
  }>(
    `SELECT l.job_id, l.worker, l.pid, l.since, floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now
       FROM (SELECT 1) one LEFT JOIN ${s}.lease l ON l.running`,
  );
  const records = new Map(rows.map((r) => [r.job_id, r.record]));
  const holders = new Map<string, LockHolder>();
  for (const l of leases) {
    if (l.job_id === null) continue;
    holders.set(l.job_id, {
      hostname: l.worker,
      ...(l.pid === null ? {} : { pid: l.pid }),
      since: l.since.getTime(),
    });
  }
  return {
    records,
    now: leases[0]?.now ?? Date.now(),
    store: {
      read: async (job: Job) => records.get(job.id),
      write: async () => {
        throw new Error('the fleet snapshot is read-only: workers write the status');
      },
    },
    locks: {
      tryLock: async (job) => ({
        acquired: false,
        ...(holders.has(job.id) ? { holder: holders.get(job.id)! } : {}),
      }),
      holder: async (job) => holders.get(job.id),
    },
  };
}
