import type { Pool, PoolClient } from 'pg';
import type { Db, PgBoss } from 'pg-boss';
import { FleetError } from './fleet-error.js';
import { schemaStatements } from './schema.js';

/**
 * One statement, with its parameters (exported as `FleetQuery`).
 * @example
 * const rows = await tx.query<{ n: number }>('select $1::int as n', [1]);
 */
export type Query = <R = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>;

/**
 * A transaction: statements of ours, and pg-boss's `db` option to run pg-boss's in the same transaction
 * (exported as `FleetTransaction`).
 * @example
 * await fleet.db.transaction(async (tx: FleetTransaction) => tx.query('select 1'));
 */
export interface Transaction {
  readonly query: Query;
  readonly boss: Db;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '08000',
  '08001',
  '08003',
  '08006',
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** Whether an error is the database going away or coming back (worth retrying), not a bad statement. */
export function isTransient(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (e?.code !== undefined && TRANSIENT_CODES.has(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|terminating connection/i.test(
    e?.message ?? '',
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A pg pool with transactions that retry while the database restarts, and a count of round trips. */
export class FleetDatabase {
  /** Statements sent (each is one round trip), for the benchmark's "round trips per job". */
  roundTrips = 0;
  #closed = false;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
  ) {
    // An idle client whose server went away emits 'error' on the pool; the next query reconnects.
    pool.on('error', () => {});
  }

  #query(client: Pool | PoolClient): Query {
    return async <R>(text: string, values?: unknown[]) => {
      this.roundTrips += 1;
      const result = await client.query(text, values as unknown[]);
      return result.rows as R[];
    };
  }

  /** One statement outside a transaction, retried while the database is away (up to `patienceMs`). */
  async query<R = Record<string, unknown>>(text: string, values?: unknown[], patienceMs = 0): Promise<R[]> {
    return this.#retrying(() => this.#query(this.pool)<R>(text, values), patienceMs);
  }

  /**
   * Runs `fn` in a transaction (BEGIN ... COMMIT, ROLLBACK on a throw). While the database is away the whole
   * transaction is retried for up to `patienceMs`; `fn` must therefore decide from what it reads.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, patienceMs = 0): Promise<T> {
    return this.#retrying(async () => {
      const client = await this.pool.connect();
      const query = this.#query(client);
      const boss: Db = { executeSql: async (text, values) => ({ rows: await query(text, values) }) };
      let broken = false;
      try {
        await query('BEGIN');
        const value = await fn({ query, boss });
        await query('COMMIT');
        return value;
      } catch (error) {
        broken = isTransient(error);
        if (!broken) await query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release(broken);
      }
    }, patienceMs);
  }

  async #retrying<T>(attempt: () => Promise<T>, patienceMs: number): Promise<T> {
    const deadline = Date.now() + patienceMs;
    let wait = 50;
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        if (!isTransient(error) || Date.now() + wait > deadline || this.#closed) throw databaseError(error);
        await sleep(wait);
        wait = Math.min(wait * 2, 1000);
      }
    }
  }

  /** Creates the fleet's tables (once per database; concurrent callers wait for each other). */
  async install(): Promise<void> {
    await this.transaction(async ({ query }) => {
      await query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`mm-fleet-install:${this.schema}`]);
      for (const statement of schemaStatements(this.schema)) await query(statement);
    }, 3_000);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.pool.end().catch(() => {});
  }
}

function databaseError(error: unknown): Error {
  if (error instanceof FleetError) return error;
  const e = error as { message?: string; code?: string };
  if (!isTransient(error) && e?.code === undefined && error instanceof Error) return error;
  return new FleetError(
    'EDATABASE',
    `database: ${e?.message ?? String(error)}${e?.code ? ` (${e.code})` : ''}`,
  );
}

/** What {@link connectFleet} needs: where the database is, and the names of the fleet's schemas. */
export interface FleetConnectionOptions {
  /** A PostgreSQL connection string, `postgres://user@host:port/db`. */
  readonly url: string;
  /** The schema of the fleet's own tables. @default 'mm_fleet' */
  readonly schema?: string;
  /** The schema of pg-boss's tables. @default 'mm_fleet_boss' */
  readonly bossSchema?: string;
  /** The pg-boss queue the jobs go through. @default 'mm' */
  readonly queue?: string;
  /** Connections in our pool (pg-boss keeps its own small pool). @default 6 */
  readonly poolSize?: number;
}

/** An open connection to a fleet: our pool, pg-boss, and the queue. */
export interface FleetConnection {
  readonly db: FleetDatabase;
  readonly boss: PgBoss;
  readonly queue: string;
  close(): Promise<void>;
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

async function peer<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new FleetError(
      'ENOPEER',
      `the fleet needs the '${name}' package (npm install pg-boss pg; pg-boss 12 needs Node >= 22.12, this is ${process.version}): ${(error as Error).message}`,
    );
  }
}

/**
 * The pg-boss queue policy of the fleet: one queued-or-active job per singleton key (`site:package`).
 * @example
 * (await fleet.boss.getQueue(fleet.queue))?.policy === QUEUE_POLICY; // true
 */
export const QUEUE_POLICY = 'exclusive';

/**
 * Opens a fleet: a pg pool, the fleet's tables (created if missing), pg-boss (installed or migrated if needed)
 * and its queue with the `exclusive` policy.
 * @throws {FleetError} `ENOPEER` without pg-boss/pg, `EDATABASE` if the database cannot be reached.
 * @example
 * const fleet = await connectFleet({ url: 'postgres://mm@db/mirrors' });
 * await fleet.close();
 */
export async function connectFleet(options: FleetConnectionOptions): Promise<FleetConnection> {
  const schema = options.schema ?? 'mm_fleet';
  const bossSchema = options.bossSchema ?? `${schema}_boss`;
  const queue = options.queue ?? 'mm';
  for (const [what, value] of [
    ['schema', schema],
    ['bossSchema', bossSchema],
  ] as const) {
    if (!NAME.test(value)) throw new FleetError('EBADJOB', `${what} '${value}' is not a lower-case SQL name`);
  }
  const pg = await peer('pg', () => import('pg'));
  const { PgBoss } = await peer('pg-boss', () => import('pg-boss'));
  const pool = new pg.default.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 6,
    connectionTimeoutMillis: 5_000,
    application_name: 'mm-fleet',
  });
  const db = new FleetDatabase(pool, schema);
  let boss: PgBoss | undefined;
  try {
    await db.install();
    boss = new PgBoss({
      connectionString: options.url,
      schema: bossSchema,
      max: 2,
      schedule: false,
      registerInstance: false,
      application_name: 'mm-fleet-boss',
      connectionTimeoutMillis: 5_000,
    });
    // pg-boss reports database trouble (a restart) as 'error' events; an unhandled one would end the process.
    boss.on('error', () => {});
    await withPatience(() => boss!.start(), 3_000);
    const existing = await boss.getQueue(queue);
    if (existing === null) {
      await boss
        .createQueue(queue, {
          policy: QUEUE_POLICY,
          retryLimit: 1_000_000,
          retryDelay: 0,
          expireInSeconds: 86_400, // pg-boss's most; a longer run is re-delivered, and then refused while its lease is held
          retentionSeconds: 30 * 86_400,
          deleteAfterSeconds: 86_400,
        })
        .catch(async (error) => {
          // Two processes creating it at once: the other one won.
          if ((await boss!.getQueue(queue)) === null) throw error;
        });
    } else if (existing.policy !== QUEUE_POLICY) {
      throw new FleetError(
        'EBADJOB',
        `queue '${queue}' has policy '${existing.policy}', not '${QUEUE_POLICY}': use another queue name`,
      );
    }
  } catch (error) {
    await boss?.stop({ graceful: false, close: true }).catch(() => {});
    await db.close();
    throw error instanceof FleetError ? error : databaseError(error);
  }
  const started = boss;
  return {
    db,
    boss: started,
    queue,
    close: async () => {
      await started.stop({ graceful: false, close: true, timeout: 1000 }).catch(() => {});
      await db.close();
    },
  };
}

async function withPatience<T>(attempt: () => Promise<T>, patienceMs: number): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error) || Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}
