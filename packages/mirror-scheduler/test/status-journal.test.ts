import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runJobs, type StatusRecord, shellExecutor, statusFileStore } from '../src/node/index.js';
import { parseJournal } from '../src/node/status-journal-view.js';
import { parseStatusFile } from '../src/status-line.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ended = (id: string, at: number): StatusRecord => ({
  id,
  lastStarted: at,
  lastEnded: at,
  lastOk: true,
  consecutiveFailures: 0,
});

/** A home of `n` jobs written by the original mm: one line each, with a garbage line in the middle. */
function bigStatusFile(n: number): string {
  const lines = Array.from(
    { length: n },
    (_, i) => `big:p${i} ${1_700_000_000 + i} ${i % 3 ? 0 : 256} u ${i}`,
  );
  lines.splice(n / 2, 0, '%% a line the original mm never wrote');
  return `${lines.join('\n')}\n`;
}

describe('statusFileStore: the journal', () => {
  it('a run of three jobs in a home of 100,000 changes only their lines of mm.status and appends to the journal instead of rewriting mm.status.json', async () => {
    const original = bigStatusFile(100_000);
    await writeFile(join(dir, 'mm.status'), original);
    const store0 = statusFileStore({ home: dir });
    // A first run folds the original's lines into mm.status.json.
    await runJobs([{ id: 'big:p1', command: 'true', cwd: dir }], {
      store: store0,
      executor: shellExecutor({ output: 'ignore' }),
      ignoreTimers: true,
    }).summary;
    const recordsBefore = await stat(join(dir, 'mm.status.json')).catch(() => undefined);
    const jobs = ['big:p10', 'big:p50000', 'new:one'].map((id) => ({ id, command: 'true', cwd: dir }));
    const summary = await runJobs(jobs, {
      store: statusFileStore({ home: dir }),
      executor: shellExecutor({ output: 'ignore' }),
      ignoreTimers: true,
    }).summary;
    expect(summary.succeeded).toBe(3);
    const after = await readFile(join(dir, 'mm.status'), 'utf8');
    const before = original.trimEnd().split('\n');
    const now = after.trimEnd().split('\n');
    expect(now).toHaveLength(before.length + 1); // new:one is appended
    const changed = now.flatMap((line, i) => (line === before[i] ? [] : [line.split(' ')[0]]));
    expect(changed.sort()).toEqual(['big:p1', 'big:p10', 'big:p50000', 'new:one']);
    expect(now).toContain('%% a line the original mm never wrote');
    for (const line of now.filter((l) => /^(big:p(1|10|50000)|new:one) /.test(l)))
      expect(line).toMatch(/^\S+ \d{10} 0 u \d+$/);
    // mm.status.json was not rewritten for three jobs; their records are in the journal.
    if (recordsBefore) {
      const recordsAfter = await stat(join(dir, 'mm.status.json'));
      expect(recordsAfter.mtimeMs).toBe(recordsBefore.mtimeMs);
    }
    const journal = parseJournal(await readFile(join(dir, 'mm.status.journal'), 'utf8')).records;
    const journaled = [...journal.keys()].filter((id) => id !== 'big:p1'); // the first run's, if it is still there
    expect(journaled.sort()).toEqual(['big:p10', 'big:p50000', 'new:one']);
    // Every reader through the store sees all of it.
    const all = await statusFileStore({ home: dir }).readAll(dir);
    expect(all.size).toBe(100_001);
    expect(all.get('big:p10')).toEqual(journal.get('big:p10'));
    expect(all.get('big:p99998')).toMatchObject({ lastEnded: 1_700_099_998_000, lastOk: true });
    expect(all.get('big:p3')).toMatchObject({ lastOk: false });
  });

  it('folds the journal into mm.status.json before it outgrows the state it adds to, and mm.status then equals the records', async () => {
    const store = statusFileStore({ home: dir, batchMs: 1 });
    for (let round = 0; round < 40; round++) {
      await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          store.write({ id: `j:${i}`, cwd: dir }, ended(`j:${i}`, round * 1000)),
        ),
      );
    }
    const records = JSON.parse(await readFile(join(dir, 'mm.status.json'), 'utf8')).jobs;
    const journalText = await readFile(join(dir, 'mm.status.journal'), 'utf8').catch(() => '');
    // The journal never holds much more than the state it adds to (or 64 KiB): one batch more at most.
    expect(journalText.length).toBeLessThanOrEqual(Math.max(JSON.stringify(records).length, 65_536) + 8192);
    const fresh = await statusFileStore({ home: dir }).readAll(dir);
    expect([...fresh.values()].every((r) => r.lastStarted === 39_000)).toBe(true);
    // However the budget stands, a flush (the end of a run) brings mm.status up to date.
    const last = store.write({ id: 'j:0', cwd: dir }, ended('j:0', 40_000));
    store.flush?.();
    await last;
    expect(await readFile(join(dir, 'mm.status'), 'utf8')).toBe(
      `${Array.from({ length: 25 }, (_, i) => `j:${i} ${i === 0 ? 40 : 39} 0 u 0\n`).join('')}`,
    );
  });

  it('skips a torn journal line (a crash mid-append) and keeps the records after it', async () => {
    await writeFile(join(dir, 'mm.status'), 'a:1 100 0 u 0\n');
    await writeFile(
      join(dir, 'mm.status.journal'),
      `${JSON.stringify(ended('a:1', 200_000))}\n{"id":"a:2","lastSta`,
    );
    const store = statusFileStore({ home: dir });
    await store.write({ id: 'b:1', cwd: dir }, ended('b:1', 300_000));
    await appendFile(join(dir, 'mm.status.journal'), '');
    const all = await statusFileStore({ home: dir }).readAll(dir);
    expect(all.get('a:1')).toMatchObject({ lastStarted: 200_000 });
    expect(all.get('b:1')).toMatchObject({ lastStarted: 300_000 });
    expect(all.has('a:2')).toBe(false);
  });

  it('a line the original mm wrote after our journal entry wins over it (the newer run counts)', async () => {
    await writeFile(join(dir, 'mm.status'), 'a:1 500 256 u 77\n');
    await writeFile(join(dir, 'mm.status.journal'), `${JSON.stringify(ended('a:1', 200_000))}\n`);
    expect(await statusFileStore({ home: dir }).read({ id: 'a:1', cwd: dir })).toMatchObject({
      lastStarted: 500_000,
      lastOk: false,
      lastPid: 77,
    });
  });
});

describe('statusFileStore: kill -9 at any moment', () => {
  let bundle: string;
  let bundleDir: string;
  beforeAll(async () => {
    bundleDir = await mkdtemp(join(tmpdir(), 'mm-journal-bundle-'));
    bundle = join(bundleDir, 'store.mjs');
    await build({
      entryPoints: [join(import.meta.dirname, '../src/node/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'error',
    });
  });
  afterAll(async () => {
    await rm(bundleDir, { recursive: true, force: true });
  });

  // A writer that stores ever newer records for 30 jobs and says which round is stored; with a big home and a
  // short batch window it appends, publishes and compacts all the time.
  const writer = (store: string, home: string) => `
    import { statusFileStore } from ${JSON.stringify(store)};
    const home = ${JSON.stringify(home)};
    const s = statusFileStore({ home, batchMs: 0 });
    for (let round = 1; ; round++) {
      await Promise.all(Array.from({ length: 30 }, (_, i) => s.write({ id: 'k:' + i, cwd: home },
        { id: 'k:' + i, lastStarted: round * 1000, lastEnded: round * 1000, lastOk: true, consecutiveFailures: 0 })));
      if (round % 3 === 0) s.flush();
      process.stdout.write(round + '\\n');
    }`;

  it('leaves files the next run reads, with every acknowledged record, wherever the writer was killed', async () => {
    await writeFile(join(dir, 'mm.status'), bigStatusFile(2000));
    for (let attempt = 0; attempt < 8; attempt++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer(bundle, dir)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let acked = 0;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const rounds = chunk.trim().split('\n').map(Number);
        acked = Math.max(acked, ...rounds);
      });
      // Killed at a different moment each time: after some rounds, plus a few ms.
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (acked >= 5 + attempt * 3) {
            clearInterval(check);
            setTimeout(resolve, attempt * 3);
          }
        }, 1);
      });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const all = await statusFileStore({ home: dir }).readAll(dir);
      for (let i = 0; i < 30; i++) {
        const record = all.get(`k:${i}`);
        expect(record?.lastStarted).toBeGreaterThanOrEqual(acked * 1000);
      }
      expect(all.get('big:p1999')).toMatchObject({ lastStarted: 1_700_001_999_000 });
      // mm.status is whole: every line parses, the original's lines are all there, once each.
      const entries = parseStatusFile(await readFile(join(dir, 'mm.status'), 'utf8'));
      const ids = entries.flatMap((e) => (e.kind === 'job' ? [e.line.id] : []));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => id.startsWith('big:'))).toHaveLength(2000);
    }
  }, 60_000);
});
