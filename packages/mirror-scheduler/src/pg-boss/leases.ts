import type { PgBoss } from 'pg-boss';
import { recordStarted, type StatusRecord } from '../status-record.js';
import type { FleetDatabase } from './database.js';
import type { FleetJobData } from './fleet-job.js';
import { ident } from './schema.js';

/** A run a worker holds: its lease (job id + fence), its slots, and the pg-boss attempt it settles. */
export interface Claim {
  readonly data: FleetJobData;
  readonly fence: number;
  readonly runId: number;
  readonly bossJob: { readonly id: string; readonly retryCount: number };
  /** The status record written at the start (database time). */
  readonly started: StatusRecord;
}

/** Why nothing was claimed: no job queued, the global limit reached, a race for a slot lost, or a job skipped. */
export type ClaimMiss = 'empty' | 'full' | 'busy' | 'held' | 'done';

interface LimitRow {
  scope: string;
  max: number;
  used: number;
  now: number;
}

/**
 * The lease and slot bookkeeping: every decision about who runs what is a statement in a transaction, so the
 * database arbitrates between workers.
 */
export class Leases {
  readonly #s: string;
  constructor(
    readonly db: FleetDatabase,
    readonly boss: PgBoss,
    readonly queue: string,
    readonly leaseMs: number,
  ) {
    this.#s = ident(db.schema);
  }

  /**
   * Takes the next queued job this worker may run: in one transaction, it fetches a pg-boss job of a site with
   * a free slot, takes one global and one site slot (FOR UPDATE SKIP LOCKED), bumps the job's fence, records
   * the start and the run. A lost race rolls everything back and leaves the pg-boss job queued.
   */
  async claim(worker: string): Promise<Claim | ClaimMiss> {
    const s = this.#s;
    return this.db
      .transaction(async ({ query, boss }) => {
        const limits = await query<LimitRow>(
          `SELECT l.scope, l.max,
                (SELECT count(*) FROM ${s}.slots x WHERE x.scope = l.scope AND x.job_id IS NOT NULL)::int AS used,
                floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now
           FROM ${s}.limits l`,
        );
        const byScope = new Map(limits.map((l) => [l.scope, l]));
        const global = byScope.get('global');
        if (global && global.used >= global.max) return 'full';
        const fullSites = limits
          .filter((l) => l.scope.startsWith('site:') && l.used >= l.max)
          .map((l) => l.scope.slice(5));
        const fetched = await this.boss.fetch<FleetJobData>(this.queue, {
          batchSize: 1,
          ...(fullSites.length ? { ignoreGroups: fullSites } : {}),
          db: boss,
        });
        const job = fetched[0];
        if (job === undefined) return 'empty';
        const attempt = { id: job.id, retryCount: job.retryCount };
        const { data } = job;
        const id = data.job.id;
        const [lease] = await query<{
          fence: string;
          running: boolean;
          record: StatusRecord | null;
          now: number;
        }>(
          `WITH l AS (INSERT INTO ${s}.lease (job_id) VALUES ($1)
                      ON CONFLICT (job_id) DO UPDATE SET job_id = EXCLUDED.job_id RETURNING fence, running)
         SELECT l.fence, l.running, (SELECT record FROM ${s}.status WHERE job_id = $1) AS record,
                floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now
           FROM l`,
          [id],
        );
        if (lease === undefined) throw new Error(`lease of ${id}: no row`);
        if (lease.running) {
          // The run that holds the lease may be alive (stopped, partitioned): this delivery waits its turn.
          await this.boss.fail(this.queue, attempt, { message: 'lease held by another run' }, { db: boss });
          return 'held';
        }
        const previous = lease.record ?? undefined;
        if ((previous?.lastEnded ?? null) !== data.seenLastEnded) {
          // A run ended since this job was planned: it is done, by whoever ran it.
          await this.boss.complete(
            this.queue,
            attempt,
            { skipped: 'ran since it was planned' },
            { db: boss },
          );
          return 'done';
        }
        const scopes = ['global', `site:${data.job.site}`].filter((scope) => byScope.has(scope));
        const slots = await query<{ scope: string; n: number }>(
          `WITH g AS (SELECT scope, n FROM ${s}.slots
                     WHERE scope = 'global' AND job_id IS NULL AND n < $1 ORDER BY n LIMIT 1 FOR UPDATE SKIP LOCKED),
              t AS (SELECT scope, n FROM ${s}.slots
                     WHERE scope = $2 AND job_id IS NULL AND n < $3 ORDER BY n LIMIT 1 FOR UPDATE SKIP LOCKED)
         SELECT * FROM g UNION ALL SELECT * FROM t`,
          [global?.max ?? 0, `site:${data.job.site}`, byScope.get(`site:${data.job.site}`)?.max ?? 0],
        );
        if (slots.length < scopes.length) throw new LostRace();
        const fence = Number(lease.fence) + 1;
        const started = recordStarted(previous, id, lease.now);
        const [run] = await query<{ run_id: string }>(
          `WITH r AS (INSERT INTO ${s}.runs (job_id, fence, worker, started, boss_job)
                    VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000), $5) RETURNING run_id),
              l AS (UPDATE ${s}.lease SET fence = $2, running = true, worker = $3, pid = NULL, boss_job = $5,
                           boss_retry = $6, run_id = (SELECT run_id FROM r), since = to_timestamp($4::float8 / 1000),
                           expires = clock_timestamp() + $7::float8 * interval '1 millisecond', cancel = false
                     WHERE job_id = $1),
              x AS (UPDATE ${s}.slots SET job_id = $1, fence = $2
                     WHERE (scope, n) IN (SELECT * FROM unnest($8::text[], $9::int[]))),
              st AS (INSERT INTO ${s}.status (job_id, record) VALUES ($1, $10)
                     ON CONFLICT (job_id) DO UPDATE SET record = EXCLUDED.record)
         SELECT run_id FROM r`,
          [
            id,
            fence,
            worker,
            lease.now,
            job.id,
            job.retryCount,
            this.leaseMs,
            slots.map((x) => x.scope),
            slots.map((x) => x.n),
            started,
          ],
        );
        return { data, fence, runId: Number(run!.run_id), bossJob: attempt, started };
      })
      .catch((error) => {
        if (error instanceof LostRace) return 'busy' as const;
        throw error;
      });
  }

  /** Records the pid of a claimed run (in its lease, its run and its status record), if it still holds the lease. */
  async markStarted(claim: Claim, pid: number): Promise<void> {
    const s = this.#s;
    await this.db.query(
      `WITH l AS (UPDATE ${s}.lease SET pid = $3 WHERE job_id = $1 AND fence = $2 AND running RETURNING job_id),
            r AS (UPDATE ${s}.runs SET pid = $3 WHERE run_id = $4 AND EXISTS (SELECT 1 FROM l))
       UPDATE ${s}.status SET record = jsonb_set(record, '{running,pid}', to_jsonb($3::int))
        WHERE job_id = $1 AND EXISTS (SELECT 1 FROM l)`,
      [claim.data.job.id, claim.fence, pid, claim.runId],
      this.leaseMs,
    );
  }

  /**
   * Records the end of a run, if and only if it still holds its lease (same fence, not taken over): the status
   * record, the run's end, the lease and slots freed, and the pg-boss job completed, in one transaction.
   * Returns false when the write was refused (the lease was lost: the result is not recorded).
   */
  async finish(
    claim: Claim,
    record: StatusRecord,
    outcome: {
      readonly ok: boolean;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly cancelled?: boolean;
    },
  ): Promise<boolean> {
    const s = this.#s;
    return this.db
      .transaction(async ({ query, boss }) => {
        const [row] = await query<{ freed: number }>(
          `WITH l AS (UPDATE ${s}.lease SET running = false, worker = NULL, pid = NULL, expires = NULL, cancel = false
                     WHERE job_id = $1 AND fence = $2 AND running RETURNING job_id),
              st AS (UPDATE ${s}.status SET record = $3, boss_job = $4 WHERE job_id = $1 AND EXISTS (SELECT 1 FROM l)),
              r AS (UPDATE ${s}.runs SET ended = clock_timestamp(), outcome = $5, exit_code = $6, signal = $7
                     WHERE run_id = $8 AND EXISTS (SELECT 1 FROM l)),
              x AS (UPDATE ${s}.slots SET job_id = NULL, fence = NULL
                     WHERE job_id = $1 AND fence = $2 AND EXISTS (SELECT 1 FROM l))
         SELECT count(*)::int AS freed FROM l`,
          [
            claim.data.job.id,
            claim.fence,
            record,
            claim.bossJob.id,
            outcome.cancelled ? 'cancelled' : outcome.ok ? 'ok' : 'failed',
            outcome.exitCode,
            outcome.signal,
            claim.runId,
          ],
        );
        if (row?.freed !== 1) throw new Refused();
        await this.boss.complete(this.queue, claim.bossJob, { ok: outcome.ok }, { db: boss });
        return true;
      }, this.leaseMs * 4)
      .catch(async (error) => {
        if (!(error instanceof Refused)) throw error;
        // A COMMIT whose answer was lost in a reconnect, retried, finds its own work done: not a refusal.
        const [run] = await this.db.query<{ outcome: string | null }>(
          `SELECT outcome FROM ${s}.runs WHERE run_id = $1`,
          [claim.runId],
          this.leaseMs,
        );
        return run?.outcome !== undefined && run.outcome !== null && run.outcome !== 'lost';
      });
  }

  /**
   * Extends the leases of `runs` and the worker's heartbeat. Returns the runs whose lease is gone (fenced off)
   * and those asked to stop (cancelled).
   */
  async renew(
    worker: string,
    runs: readonly { readonly jobId: string; readonly fence: number }[],
  ): Promise<{ lost: Set<string>; cancel: Set<string> }> {
    const s = this.#s;
    const rows = await this.db.query<{ job_id: string; cancel: boolean }>(
      `WITH h AS (UPDATE ${s}.workers SET heartbeat = clock_timestamp() WHERE worker = $1)
       UPDATE ${s}.lease SET expires = clock_timestamp() + $2::float8 * interval '1 millisecond'
         FROM unnest($3::text[], $4::bigint[]) AS u(job_id, fence)
        WHERE lease.job_id = u.job_id AND lease.fence = u.fence AND lease.running
       RETURNING lease.job_id, lease.cancel`,
      [worker, this.leaseMs, runs.map((r) => r.jobId), runs.map((r) => r.fence)],
    );
    const kept = new Set(rows.map((r) => r.job_id));
    return {
      lost: new Set(runs.filter((r) => !kept.has(r.jobId)).map((r) => r.jobId)),
      cancel: new Set(rows.filter((r) => r.cancel).map((r) => r.job_id)),
    };
  }

  /**
   * Ends the runs whose lease expired (their worker died or stopped): the run is marked lost, its slots freed,
   * and its pg-boss attempt failed so that the job is delivered again; the next run gets a higher fence.
   */
  async sweep(): Promise<number> {
    const s = this.#s;
    const [due] = await this.db.query<{ due: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${s}.lease WHERE running AND expires < clock_timestamp()) AS due`,
    );
    if (!due?.due) return 0;
    return this.db.transaction(async ({ query, boss }) => {
      const expired = await query<{
        job_id: string;
        fence: string;
        boss_job: string;
        boss_retry: number;
        run_id: string;
      }>(
        `SELECT job_id, fence, boss_job, boss_retry, run_id FROM ${s}.lease
          WHERE running AND expires < clock_timestamp() FOR UPDATE SKIP LOCKED`,
      );
      for (const lease of expired) {
        await query(
          `WITH l AS (UPDATE ${s}.lease SET running = false, worker = NULL, pid = NULL, expires = NULL, cancel = false
                       WHERE job_id = $1 AND fence = $2),
                r AS (UPDATE ${s}.runs SET outcome = 'lost', ended = (SELECT expires FROM ${s}.lease WHERE job_id = $1) WHERE run_id = $3)
           UPDATE ${s}.slots SET job_id = NULL, fence = NULL WHERE job_id = $1 AND fence = $2`,
          [lease.job_id, lease.fence, lease.run_id],
        );
        await this.boss.fail(
          this.queue,
          { id: lease.boss_job, retryCount: lease.boss_retry },
          { message: `lease of fence ${lease.fence} expired` },
          { db: boss },
        );
      }
      return expired.length;
    });
  }
}

class LostRace extends Error {}
class Refused extends Error {}
