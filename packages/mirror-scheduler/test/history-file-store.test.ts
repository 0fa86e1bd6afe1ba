import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadPid } from '@suite/internal/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryStatusStore,
  HISTORY_FILE,
  historyFileStore,
  renderStatusPage,
  statusSnapshot,
} from '../src/node/index.js';

const dist = fileURLToPath(new URL('../dist/node/index.js', import.meta.url));

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mm-history-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const job = (id: string) => ({ id, command: 'true', cwd: home });
const run = (i: number) => ({ start: i * 1000, end: i * 1000 + 10, result: 'ok' as const, exitCode: 0 });

describe('historyFileStore', () => {
  it('appends runs to HOME/mm.history.jsonl and reads back the last N of each job', async () => {
    const store = historyFileStore({ keep: 3, batchMs: 1 });
    for (let i = 0; i < 5; i++) await store.append(job('a:b'), run(i));
    await store.append(job('c:d'), { start: 1, end: 2, result: 'failed', exitCode: 2 });
    const text = await readFile(join(home, HISTORY_FILE), 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(6);
    const fresh = historyFileStore({ keep: 3 });
    expect((await fresh.read(job('a:b')))?.runs.map((r) => r.start)).toEqual([2000, 3000, 4000]);
    expect((await fresh.read(job('a:b')))?.totals.byResult.ok).toBe(5);
    expect((await fresh.read(job('c:d')))?.runs).toEqual([
      { start: 1, end: 2, result: 'failed', exitCode: 2 },
    ]);
  });

  it('compacts the journal once it grows by half, keeping N runs per job on one line and the totals of all of them', async () => {
    const store = historyFileStore({ keep: 2, batchMs: 1, slackBytes: 500 });
    for (let i = 0; i < 40; i++) await store.append(job(`j:${i % 2}`), run(i));
    const text = await readFile(join(home, HISTORY_FILE), 'utf8');
    expect(text.length).toBeLessThan(2 * 1000);
    expect(text.startsWith('{"format":"mm.history/2","compactedBytes":')).toBe(true);
    const journal = await historyFileStore({ keep: 2 }).readHome(home);
    expect(journal.jobs.get('j:0')?.totals.byResult.ok).toBe(20);
    expect(journal.jobs.get('j:1')?.runs.map((r) => r.start)).toEqual([37_000, 39_000]);
    expect((await readdir(home)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('after a torn last line, the next append starts on a new line and only the torn run is lost', async () => {
    const store = historyFileStore({ batchMs: 1 });
    await store.append(job('a:b'), run(1));
    await appendFile(join(home, HISTORY_FILE), '{"job":"a:b","start":2000,"en');
    await historyFileStore({ batchMs: 1 }).append(job('a:b'), run(3));
    const journal = await historyFileStore().readHome(home);
    expect(journal.damaged).toBe(1);
    expect(journal.jobs.get('a:b')?.runs.map((r) => r.start)).toEqual([1000, 3000]);
  });

  it('a missing or corrupt journal gives an empty history and a page that says so, not an error', async () => {
    const store = historyFileStore();
    expect(await store.read(job('a:b'))).toBeUndefined();
    await writeFile(join(home, HISTORY_FILE), Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x0a, 0x5b, 0x5d, 0x0a]));
    const journal = await historyFileStore().readHome(home);
    expect(journal).toMatchObject({ damaged: 2 });
    const snap = await statusSnapshot([job('a:b')], {
      store: createMemoryStatusStore(),
      history: historyFileStore(),
      notes: [`${HISTORY_FILE}: ${journal.damaged} damaged lines ignored`],
    });
    expect(renderStatusPage(snap)).toContain('mm.history.jsonl: 2 damaged lines ignored');
  });

  it('survives kill -9 at any point of appends and compactions: every acknowledged run stays counted', async () => {
    // A writer appends runs numbered from START as fast as it can, compacting often, and prints each run it has
    // stored; it is killed at a random moment, then the next writer goes on. 12 rounds.
    const writer = `
      import { historyFileStore } from ${JSON.stringify(dist)};
      const store = historyFileStore({ home: process.argv[1], keep: 5, batchMs: 0, slackBytes: 2000 });
      for (let i = Number(process.argv[2]); ; i++) {
        await store.append({ id: 'j:' + (i % 7) }, { start: i, end: i + 1, result: 'ok', exitCode: 0 });
        process.stdout.write(i + '\\n');
      }`;
    let next = 0;
    let acknowledged = 0;
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer, home, String(next)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      // Let it get going, then kill it mid-whatever after a random few ms.
      await new Promise<void>((resolve) => {
        const check = () => (out.split('\n').length > 20 ? resolve() : setTimeout(check, 5));
        check();
      });
      await new Promise((r) => setTimeout(r, Math.random() * 30));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const acked = out.split('\n').filter(Boolean).map(Number);
      acknowledged += acked.length;
      next = acked.at(-1)! + 1000; // runs the killed writer may have half-stored are past its last ack
      const journal = await historyFileStore({ keep: 5 }).readHome(home);
      const counted = [...journal.jobs.values()].reduce((n, j) => n + j.totals.byResult.ok, 0);
      expect(counted).toBeGreaterThanOrEqual(acknowledged);
      expect(journal.damaged).toBeLessThanOrEqual(round + 1);
      for (const j of journal.jobs.values()) expect(j.runs.length).toBeLessThanOrEqual(5);
    }
    // The next writer recovers: its append lands on a clean line and its compaction sweeps dead writers' temporaries.
    const store = historyFileStore({ keep: 5, batchMs: 0, slackBytes: 0 });
    await store.append(job('after:crash'), run(1));
    const journal = await historyFileStore({ keep: 5 }).readHome(home);
    expect(journal.jobs.get('after:crash')?.runs).toHaveLength(1);
    expect(journal.damaged).toBe(0);
    expect((await readdir(home)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('reads a journal an older mm wrote (mm.history/1, a line per run) and rewrites it as mm.history/2 at its next append', async () => {
    // As mm 0.x compacted it: header, a totals line, then one line per kept run.
    const totals = (ok: number, failed: number) =>
      `{"byResult":{"ok":${ok},"failed":${failed},"signal":0,"timeout":0,"cancelled":0,"skipped":0},"buckets":[${ok + failed},0,0,0,0,0,0,0,0,0,0,0],"durationSumSeconds":0.5,"durationCount":${ok + failed}}`;
    const v1 = [
      '{"format":"mm.history/1","compactedBytes":600}',
      `{"job":"a:b","totals":${totals(7, 2)}}`,
      '{"job":"a:b","start":1000,"end":1010,"result":"ok","exit":0}',
      '{"job":"c:d","start":1500,"end":1600,"result":"failed","exit":2}',
      '{"job":"a:b","start":2000,"end":2010,"result":"timeout","signal":"SIGTERM"}',
      '{"job":"a:b","start":3000,"end":3000,"result":"skipped","why":"locked: pid 7"}',
      '',
    ].join('\n');
    await writeFile(join(home, HISTORY_FILE), v1);
    const expected = [
      { start: 1000, end: 1010, result: 'ok', exitCode: 0 },
      { start: 2000, end: 2010, result: 'timeout', signal: 'SIGTERM' },
      { start: 3000, end: 3000, result: 'skipped', why: 'locked: pid 7' },
    ];
    const old = await historyFileStore({ keep: 3 }).readHome(home);
    expect(old.damaged).toBe(0);
    expect(old.jobs.get('a:b')?.runs).toEqual(expected);
    expect(old.jobs.get('a:b')?.totals.byResult).toMatchObject({ ok: 8, failed: 2, timeout: 1, skipped: 1 });
    expect(
      (await historyFileStore({ keep: 3 }).readHome(home, { totals: false })).jobs.get('a:b')?.runs,
    ).toEqual(expected);
    // Smaller than the slack, yet compacted: an old journal is converted by the first append of this mm.
    await historyFileStore({ keep: 3, batchMs: 1 }).append(job('c:d'), run(4));
    const text = await readFile(join(home, HISTORY_FILE), 'utf8');
    expect(text.startsWith('{"format":"mm.history/2","compactedBytes":')).toBe(true);
    expect(text).toContain('{"job":"a:b","runs":[[1000,1010,"ok",0],[2000,2010,"timeout",null,"SIGTERM"],');
    const now = await historyFileStore({ keep: 3 }).readHome(home);
    expect(now.jobs.get('a:b')?.runs).toEqual(expected);
    expect(now.jobs.get('a:b')?.totals).toEqual(old.jobs.get('a:b')?.totals);
    expect(now.jobs.get('c:d')?.runs.map((r) => r.start)).toEqual([1500, 4000]);
    expect(
      (await historyFileStore({ keep: 3 }).readHome(home, { totals: false })).jobs.get('a:b')?.runs,
    ).toEqual(expected);
  });

  it('counts a damaged runs line of a compacted journal once and keeps the other jobs', async () => {
    await writeFile(
      join(home, HISTORY_FILE),
      '{"format":"mm.history/2","compactedBytes":99}\n{"job":"a:b","runs":[[1,2,"ok",0],[3,4,"exploded"]]}\n{"job":"c:d","runs":[[5,6,"ok"]]}\n',
    );
    for (const totals of [true, false]) {
      const journal = await historyFileStore().readHome(home, { totals });
      expect(journal.damaged).toBe(1);
      expect(journal.jobs.has('a:b')).toBe(false);
      expect(journal.jobs.get('c:d')?.runs).toEqual([{ start: 5, end: 6, result: 'ok' }]);
    }
  });

  it("sweeps a killed writer's temporary at its first append, even when that append does not compact", async () => {
    const store = historyFileStore({ keep: 10, batchMs: 0 });
    await store.append(job('a:b'), run(1)); // a compacted-format journal, far from its next compaction
    const dead = await deadPid();
    const leftover = `${HISTORY_FILE}.${dead}.0badc0de.tmp`;
    const live = `${HISTORY_FILE}.${process.pid}.0badc0de.tmp`; // this process's: never swept by another writer
    await writeFile(join(home, leftover), 'partial');
    await writeFile(join(home, live), 'partial');
    await historyFileStore({ keep: 10, batchMs: 0 }).append(job('a:b'), run(2));
    const names = await readdir(home);
    expect(names).not.toContain(leftover);
    expect(names).toContain(live);
  });

  it('survives kill -9 while converting an old journal: the old or the new one is left, every run counted', async () => {
    // 2,000 jobs x 20 runs in the old format (~4 MB): converting it takes long enough to be killed in the middle.
    const lines = ['{"format":"mm.history/1","compactedBytes":100}'];
    for (let r = 0; r < 20; r++)
      for (let j = 0; j < 2000; j++)
        lines.push(`{"job":"s:${j}","start":${r * 1000},"end":${r * 1000 + 5},"result":"ok","exit":0}`);
    const v1 = `${lines.join('\n')}\n`;
    const writer = `
      import { historyFileStore } from ${JSON.stringify(dist)};
      const store = historyFileStore({ home: process.argv[1], keep: 10, batchMs: 0 });
      await store.append({ id: 'new:run' }, { start: 1, end: 2, result: 'ok', exitCode: 0 });
      process.stdout.write('stored\\n');`;
    let killedMidWrite = 0;
    for (let round = 0; round < 6; round++) {
      await writeFile(join(home, HISTORY_FILE), v1);
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer, home], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      // Killed as soon as its compacted journal appears beside the old one, or some time after.
      const lag = round % 2 === 0 ? 0 : Math.random() * 20;
      const watcher = watch(home, (_event, name) => {
        if (String(name).endsWith('.tmp')) setTimeout(() => child.kill('SIGKILL'), lag);
      });
      const exited = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      watcher.close();
      if (exited === null && (await readdir(home)).some((n) => n.endsWith('.tmp'))) killedMidWrite += 1;
      const journal = await historyFileStore({ keep: 10 }).readHome(home);
      const counted = [...journal.jobs.values()].reduce((n, j) => n + j.totals.byResult.ok, 0);
      expect(counted).toBeGreaterThanOrEqual(40_000 + (out.includes('stored') ? 1 : 0));
      expect(journal.damaged).toBe(0);
      expect(journal.jobs.get('new:run')?.runs).toHaveLength(1); // appended before the conversion began
      expect(journal.jobs.get('s:1999')?.runs.map((r) => r.start)).toEqual(
        Array.from({ length: 10 }, (_, i) => (10 + i) * 1000),
      );
    }
    expect(killedMidWrite).toBeGreaterThan(0);
    // The next writer converts what is left and sweeps the killed writers' temporaries.
    await historyFileStore({ keep: 10, batchMs: 0 }).append(job('after:crash'), run(1));
    expect((await readFile(join(home, HISTORY_FILE), 'utf8')).startsWith('{"format":"mm.history/2"')).toBe(
      true,
    );
    expect((await readdir(home)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
