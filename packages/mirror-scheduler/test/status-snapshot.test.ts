import { describe, expect, it } from 'vitest';
import {
  createMemoryRunHistory,
  createMemoryStatusStore,
  formatCompactedJournal,
  formatJournalRun,
  formatMetrics,
  type Job,
  type LockPort,
  parseJournal,
  parseJournalTail,
  renderStatusPage,
  runHistoryRecorder,
  runJobs,
  type StatusRecord,
  statusSnapshot,
  tunasyncJobs,
} from '../src/index.js';
import type { RunEntry } from '../src/run-history.js';
import { fakeExecutor } from './fakes.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const clock = { now: () => NOW };
const job = (id: string, extra: Partial<Job> = {}): Job => ({
  id,
  command: 'true',
  retryAfterSuccess: 8 * HOUR,
  retryAfterFailure: HOUR,
  ...extra,
});

/** Locks as another process holds them: the ids given are held, by the holders given. */
function heldLocks(
  held: Record<string, { pid: number; hostname: string; since: number; pids?: number[] }>,
): LockPort {
  return {
    tryLock: async () => ({ acquired: false }),
    holder: async (j) => held[j.id],
  };
}

/** A home with a running, a failing, a locked, a waiting, a stale and a never-run job. */
async function home() {
  const records: StatusRecord[] = [
    // running: its start is recorded, no end, and its lock is held (by the mm that runs it)
    {
      id: 'a:running',
      lastStarted: NOW - 5 * 60_000,
      consecutiveFailures: 0,
      running: { pid: 4242, since: NOW - 5 * 60_000 },
      lastSucceeded: NOW - 9 * HOUR,
    },
    // failing: three failures in a row, the last exit 23 ten minutes ago
    {
      id: 'a:failing',
      lastStarted: NOW - 10 * 60_000,
      lastEnded: NOW - 9 * 60_000,
      lastOk: false,
      lastExitCode: 23,
      lastSignal: null,
      lastDurationMs: 60_000,
      consecutiveFailures: 3,
      lastSucceeded: NOW - 30 * HOUR,
    },
    // waiting: succeeded an hour ago, eligible again in 7 h
    {
      id: 'b:waiting',
      lastStarted: NOW - HOUR,
      lastEnded: NOW - HOUR + 90_000,
      lastOk: true,
      lastExitCode: 0,
      lastSignal: null,
      lastDurationMs: 90_000,
      consecutiveFailures: 0,
      lastSucceeded: NOW - HOUR + 90_000,
    },
    // late: last success 12 h ago (between 1x and 2x its 8 h interval), due now
    {
      id: 'b:late',
      lastStarted: NOW - 12 * HOUR,
      lastEnded: NOW - 12 * HOUR,
      lastOk: true,
      lastExitCode: 0,
      lastSignal: null,
      consecutiveFailures: 0,
      lastSucceeded: NOW - 12 * HOUR,
    },
  ];
  const store = createMemoryStatusStore(records);
  const locks = heldLocks({
    'a:running': { pid: 100, hostname: 'mirror1', since: NOW - 5 * 60_000, pids: [4242] },
    'c:locked': { pid: 777, hostname: 'mirror2', since: NOW - 20 * 60_000 },
  });
  const history = createMemoryRunHistory();
  await history.append(job('a:failing'), {
    start: NOW - 3 * HOUR,
    end: NOW - 3 * HOUR + 5000,
    result: 'timeout',
    exitCode: null,
    signal: 'SIGTERM',
  });
  await history.append(job('a:failing'), {
    start: NOW - 10 * 60_000,
    end: NOW - 9 * 60_000,
    result: 'failed',
    exitCode: 23,
  });
  const jobs = ['a:running', 'a:failing', 'c:locked', 'b:waiting', 'b:late', 'd:never', 'e:skipped'].map(
    (id) => job(id),
  );
  return { store, locks, history, jobs };
}

describe('statusSnapshot', () => {
  it('says what each job does and why: running since, failing N times, locked by pid on host, waiting until', async () => {
    const { store, locks, history, jobs } = await home();
    const snap = await statusSnapshot([{ kind: 'max', max: 4 }, ...jobs], {
      store,
      locks,
      history,
      clock,
      skip: ['e:skipped'],
    });
    const by = Object.fromEntries(snap.jobs.map((j) => [j.job.id, j]));
    expect(by['a:running']).toMatchObject({
      state: 'running',
      reason: 'running since 2026-11-28T11:55:00Z (pid 4242 on host mirror1)',
    });
    expect(by['a:failing']).toMatchObject({
      state: 'failing',
      consecutiveFailures: 3,
      reason: 'failing 3 times (last exit 23); retry after 2026-11-28T12:51:00Z',
    });
    expect(by['c:locked']).toMatchObject({
      state: 'locked',
      reason: 'locked by pid 777 on host mirror2 since 2026-11-28T11:40:00Z',
    });
    expect(by['b:waiting']).toMatchObject({
      state: 'waiting',
      reason: 'waiting for its timer until 2026-11-28T19:01:30Z',
      freshness: 'fresh',
    });
    expect(by['b:late']).toMatchObject({ state: 'due', freshness: 'late' });
    expect(by['a:failing']!.freshness).toBe('stale'); // 30 h > 2 x 8 h
    expect(by['d:never']).toMatchObject({
      state: 'never',
      reason: 'never run; due now',
      freshness: 'unknown',
    });
    expect(by['e:skipped']).toMatchObject({ state: 'skipped', reason: 'not run: skip=e:skipped' });
    expect(snap).toMatchObject({ limit: 4, running: 1, failing: 1, stale: 1 });
    expect(snap.jobs.map((j) => j.state)).toEqual([
      'failing',
      'locked',
      'running',
      'waiting',
      'due',
      'never',
      'skipped',
    ]);
  });

  it('takes the last attempt from the status record, and its class (timeout, cancelled) from the history', async () => {
    const store = createMemoryStatusStore([
      {
        id: 'x:y',
        lastStarted: NOW - 60_000,
        lastEnded: NOW - 30_000,
        lastOk: false,
        lastExitCode: null,
        lastSignal: 'SIGTERM',
        lastDurationMs: 30_000,
        consecutiveFailures: 1,
      },
    ]);
    const history = createMemoryRunHistory();
    await history.append(job('x:y'), {
      start: NOW - 60_000,
      end: NOW - 30_000,
      result: 'timeout',
      signal: 'SIGTERM',
    });
    const [status] = (await statusSnapshot([job('x:y')], { store, history, clock })).jobs;
    expect(status!.lastAttempt).toMatchObject({ result: 'timeout', durationMs: 30_000, signal: 'SIGTERM' });
    expect(status!.reason).toBe('failing once (last run timed out); retry after 2026-11-28T12:59:30Z');
  });

  it('counts a run whose runner died (start without an end, no lock) as a failure', async () => {
    const store = createMemoryStatusStore([
      {
        id: 'x:y',
        lastStarted: NOW - 2 * HOUR,
        lastOk: true,
        consecutiveFailures: 0,
        running: { pid: 5, since: NOW - 2 * HOUR },
      },
    ]);
    const [status] = (await statusSnapshot([job('x:y')], { store, clock })).jobs;
    expect(status).toMatchObject({ state: 'failing', consecutiveFailures: 1 });
    expect(status!.reason).toMatch(/^failing once \(its last run never ended \(its mm died\)\); due now$/);
  });
});

describe('run history', () => {
  it('records a real run: ok, failed with its exit code, and a timeout, with start, end and duration', async () => {
    const { executor } = fakeExecutor((j) =>
      j.id === 'slow' ? { ms: 200 } : { exitCode: j.id === 'bad' ? 3 : 0, ms: 5 },
    );
    const history = createMemoryRunHistory();
    const recorder = runHistoryRecorder(history);
    const jobs = [job('good'), job('bad'), job('slow', { timeout: 20 })];
    await runJobs(jobs, { executor, onEvent: recorder.event, killGraceMs: 10 }).summary;
    await recorder.settled();
    const runs = await Promise.all(jobs.map(async (j) => (await history.read(j))?.runs));
    expect(runs.map((r) => r?.map((e) => [e.result, e.exitCode]))).toEqual([
      [['ok', 0]],
      [['failed', 3]],
      [['timeout', null]],
    ]);
    const slow = runs[2]![0]!;
    expect(slow.end - slow.start).toBeGreaterThanOrEqual(15);
  });

  it('records a job locked elsewhere as skipped, with the holder, and cancelled runs when the run is aborted', async () => {
    const controller = new AbortController();
    const { executor } = fakeExecutor(() => ({ ms: 5_000 }));
    const history = createMemoryRunHistory();
    const recorder = runHistoryRecorder(history, { signal: controller.signal });
    const locks = heldLocks({ 'held:elsewhere': { pid: 9, hostname: 'h2', since: NOW } });
    locks.tryLock = async (j) =>
      j.id === 'held:elsewhere'
        ? { acquired: false, holder: { pid: 9, hostname: 'h2' } }
        : { acquired: true, lock: { release: async () => {} } };
    const run = runJobs([job('held:elsewhere'), job('long')], {
      executor,
      locks,
      signal: controller.signal,
      onEvent: (e) => {
        recorder.event(e);
        if (e.type === 'started') controller.abort();
      },
      killGraceMs: 10,
    });
    await run.summary;
    await recorder.settled();
    expect((await history.read(job('held:elsewhere')))?.runs).toEqual([
      expect.objectContaining({ result: 'skipped', why: 'locked: already running: locked by pid 9 on h2' }),
    ]);
    expect((await history.read(job('long')))?.runs).toEqual([
      expect.objectContaining({ result: 'cancelled', signal: 'SIGTERM' }),
    ]);
  });

  it('keeps the last N runs per job and folds older ones into totals that survive compaction', () => {
    let text = '';
    for (let i = 0; i < 30; i++)
      text += formatJournalRun('a:b', {
        start: i * 1000,
        end: i * 1000 + 500,
        result: i % 3 ? 'ok' : 'failed',
        exitCode: i % 3 ? 0 : 1,
      });
    const parsed = parseJournal(text, 5);
    const a = parsed.jobs.get('a:b')!;
    expect(a.runs.map((r) => r.start)).toEqual([25_000, 26_000, 27_000, 28_000, 29_000]);
    expect(a.totals.byResult).toMatchObject({ ok: 20, failed: 10 });
    expect(a.totals.durationCount).toBe(30);
    const compacted = formatCompactedJournal(parsed.jobs);
    expect(compacted.split('\n').filter(Boolean)).toHaveLength(1 + 1 + 1); // header, totals, the 5 runs
    expect(JSON.parse(compacted.split('\n')[0]!).compactedBytes).toBe(Buffer.byteLength(compacted));
    const again = parseJournal(compacted, 5).jobs.get('a:b')!;
    expect(again.totals).toEqual(a.totals);
    expect(again.runs).toEqual(a.runs);
  });

  it('reads the same last N runs from the end of the journal as from its start, without the older lines', () => {
    let text = formatCompactedJournal(
      parseJournal(formatJournalRun('old:job', { start: 1, end: 2, result: 'ok' }), 3).jobs,
    );
    for (let i = 0; i < 50; i++)
      text += formatJournalRun(`j:${i % 4}"q`, {
        start: i,
        end: i + 1,
        result: i % 5 ? 'ok' : 'timeout',
        signal: 'SIGTERM',
      });
    text += '{"job":"j:1\\"q","sta'; // torn by a crash
    const full = parseJournal(text, 3);
    const tail = parseJournalTail(text, 3);
    expect(tail.partial).toBe(true);
    expect([...tail.jobs.keys()].sort()).toEqual([...full.jobs.keys()].sort());
    for (const [id, job] of full.jobs) expect(tail.jobs.get(id)?.runs).toEqual(job.runs);
    expect(tail.damaged).toBe(1);
  });

  it('reads plain lines and unusual ones (escapes, signals, reasons, odd numbers) alike, and refuses bad ones', () => {
    const runs: RunEntry[] = [
      { start: 1, end: 2, result: 'ok', exitCode: 0 },
      { start: 3, end: 4, result: 'failed', exitCode: 255 },
      { start: 5, end: 9, result: 'timeout', exitCode: null, signal: 'SIGTERM' },
      { start: 10, end: 10, result: 'skipped', why: 'locked: pid "7" \\ on h' },
      { start: 1.5, end: 2e3, result: 'failed', exitCode: -1 },
      { start: 1_795_583_485_471, end: 1_795_583_515_471, result: 'cancelled' },
    ];
    for (const id of ['a:b', 'q:"quoted" \\ back', 'ü:ß']) {
      let text = '';
      for (const run of runs) text += formatJournalRun(id, run);
      const compacted = formatCompactedJournal(parseJournal(text, 10).jobs);
      const expected = runs.map(({ exitCode, ...rest }) =>
        exitCode === null || exitCode === undefined ? rest : { ...rest, exitCode },
      );
      for (const t of [text, compacted]) {
        expect(parseJournal(t, 10).jobs.get(id)?.runs).toEqual(expected);
        expect(parseJournalTail(t, 10).jobs.get(id)?.runs).toEqual(expected);
        expect(parseJournalTail(t, 2).jobs.get(id)?.runs).toEqual(expected.slice(-2));
      }
    }
    const bad = [
      '{"job":"a:b","start":1,"end":2,"result":"ok","exit":0}garbage',
      '{"job":"a:b","start":1,"end":2,"result":"ok","exit":0',
      '{"job":"a:b","start":-1,"end":2,"result":"ok"}',
      '{"job":"a:b","runs":[[1,2,"ok",0],[3,4,"ok"]}',
      '{"job":"a:b","runs":[[1,2,"ok",0],[3,"4","ok"]]}',
      '{"job":"a:b","runs":[[1,2,"ok",0],[3,4,"ok"]]} x',
      '{"job":"a:b","start":12345678901234567890123,"end":2,"result":"oops"}',
    ];
    expect(parseJournal(`${bad.join('\n')}\n`, 10)).toMatchObject({ damaged: bad.length });
    expect(parseJournalTail(`${bad.join('\n')}\n`, 10)).toMatchObject({ damaged: bad.length });
  });

  it('skips damaged and torn lines, counting them, and keeps every good line', () => {
    const good = formatJournalRun('a:b', { start: 1, end: 2, result: 'ok', exitCode: 0 });
    const text = `${good}{"job":"a:b","start":3,"end":4,"res\n${good}not json at all\n{"job":"a:b","start":5,"end":6,"result":"exploded"}\n${good}{"job":"a:b","sta`;
    const parsed = parseJournal(text, 20);
    expect(parsed.damaged).toBe(4);
    expect(parsed.jobs.get('a:b')!.runs).toHaveLength(3);
  });
});

describe('renderStatusPage, formatMetrics and tunasyncJobs', () => {
  it('renders a header with running/limit, failing and stale, and a row per job with state and reason', async () => {
    const { store, locks, history, jobs } = await home();
    const html = renderStatusPage(
      await statusSnapshot([{ kind: 'max', max: 4 }, ...jobs], { store, locks, history, clock }),
    );
    expect(html).toContain('<b>1/4</b> running');
    expect(html).toContain('<b>1</b> failing');
    expect(html).toMatch(/<tr id="a%3Afailing" class="failing">.*failing 3 times \(last exit 23\)/);
    expect(html).toMatch(/<td class="age stale"[^>]*><time[^>]*>1d06h ago/);
    expect(html).not.toMatch(/<script/i);
  });

  it('links each state count in the header to where its rows begin, one tbody per state', async () => {
    const { store, locks, history, jobs } = await home();
    const html = renderStatusPage(await statusSnapshot(jobs, { store, locks, history, clock }));
    expect(html).toContain('<a href="#state-failing"><b>1</b> failing</a>');
    expect(html).toMatch(/<a href="#state-locked">1 locked<\/a>/);
    expect(html).toMatch(/<tbody id="state-failing">\n<tr id="a%3Afailing"/);
    for (const id of html.matchAll(/href="#(state-[a-z]+)"/g))
      expect(html).toContain(`<tbody id="${id[1]}">`);
    expect(html.match(/<tbody/g)).toHaveLength(html.match(/<tbody id="state-/g)!.length); // every group is a state's
    expect(renderStatusPage(await statusSnapshot([], { store, clock }))).toContain('<tbody>\n</tbody>');
  });

  it('escapes job names and reasons', async () => {
    const store = createMemoryStatusStore();
    const html = renderStatusPage(
      await statusSnapshot([job('x:<img src=x onerror=alert(1)>')], { store, clock }),
    );
    expect(html).toContain('x:&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
  });

  it('exposes metrics with escaped labels, relative intervals and a cumulative histogram', async () => {
    const { store, locks, history, jobs } = await home();
    const snap = await statusSnapshot([...jobs, job('q:"quoted"\\')], { store, locks, history, clock });
    const text = formatMetrics(snap);
    expect(text).toContain('mm_job_ok_interval_seconds{job="a:failing"} 28800');
    expect(text).toContain(
      `mm_job_last_success_timestamp_seconds{job="b:waiting"} ${(NOW - HOUR + 90_000) / 1000}`,
    );
    expect(text).toContain('mm_job_runs_total{job="a:failing",result="timeout"} 1');
    expect(text).toContain('mm_job_run_duration_seconds_bucket{job="a:failing",le="10"} 1');
    expect(text).toContain('mm_job_run_duration_seconds_bucket{job="a:failing",le="60"} 2');
    expect(text).toContain('mm_job_consecutive_failures{job="q:\\"quoted\\"\\\\"} 0');
    expect(text).toContain('mm_slots_used 1\n');
  });

  it('lists jobs as tunasync does: status, last_update, last_started, last_ended, next_schedule, size', async () => {
    const { store, locks, history, jobs } = await home();
    const list = tunasyncJobs(
      await statusSnapshot(jobs, { store, locks, history, clock, skip: ['e:skipped'] }),
    );
    const by = Object.fromEntries(list.map((j) => [j.name, j]));
    expect(by['a:running']!.status).toBe('syncing');
    expect(by['a:failing']).toMatchObject({
      status: 'failed',
      last_update_ts: (NOW - 30 * HOUR) / 1000,
      last_started: '2026-11-28 11:50:00 +0000',
      last_ended: '2026-11-28 11:51:00 +0000',
      next_schedule: '2026-11-28 12:51:00 +0000',
      size: 'unknown',
      consecutive_failures: 3,
    });
    expect(by['b:waiting']!.status).toBe('success');
    expect(by['d:never']!.status).toBe('none');
    expect(by['e:skipped']!.status).toBe('disabled');
  });
});
