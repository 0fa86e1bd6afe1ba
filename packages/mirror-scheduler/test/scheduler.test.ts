import { describe, expect, it } from 'vitest';
import {
  createMemoryLocks,
  createMemoryStatusStore,
  explain,
  type Job,
  type LockPort,
  runJobs,
  type SchedulerEvent,
  type Step,
} from '../src/index.js';
import { fakeExecutor, manualClock } from './fakes.js';

const jobs = (n: number, extra: Partial<Job> = {}): Job[] =>
  Array.from({ length: n }, (_, i) => ({ id: `site:p${i}`, command: 'true', ...extra }));

async function collect(run: AsyncIterable<SchedulerEvent>) {
  const events: SchedulerEvent[] = [];
  for await (const e of run) events.push(e);
  return events;
}

describe('runJobs', () => {
  it('never runs more than max jobs at once (start and end times recorded)', async () => {
    const fake = fakeExecutor((job) => ({ ms: 3 + (Number(job.id.slice(6)) % 5) * 3 }));
    let running = 0;
    let mostRunningEvents = 0;
    const summary = await runJobs(jobs(40), {
      max: 4,
      executor: fake.executor,
      onEvent: (e) => {
        if (e.type === 'started') running += 1;
        if (e.type === 'finished') running -= 1;
        mostRunningEvents = Math.max(mostRunningEvents, running);
      },
    }).summary;
    expect(mostRunningEvents).toBe(4);
    expect(summary).toMatchObject({ started: 40, succeeded: 40, failed: 0, maxRunning: 4 });
    const points = fake.log.flatMap((e) => [
      { t: e.start, d: 1 },
      { t: e.end!, d: -1 },
    ]);
    points.sort((a, b) => a.t - b.t || a.d - b.d);
    let now = 0;
    let most = 0;
    for (const p of points) {
      now += p.d;
      most = Math.max(most, now);
    }
    expect(most).toBe(4);
    expect(fake.maxRunning).toBe(4);
  });

  it('a max step changes the limit from there on', async () => {
    const fake = fakeExecutor(() => ({ ms: 10 }));
    const steps: Step[] = [{ kind: 'max', max: 1 }, ...jobs(4).map((job): Step => ({ kind: 'job', job }))];
    const summary = await runJobs(steps, { max: 6, executor: fake.executor }).summary;
    expect(summary.maxRunning).toBe(1);
  });

  it('a barrier waits for every running job, then runs its command before anything after it', async () => {
    const fake = fakeExecutor((job) => ({ ms: job.id === 'cmd' ? 2 : 15 }));
    const steps: Step[] = [
      { kind: 'job', job: { id: 'a:1', command: 'x' } },
      { kind: 'job', job: { id: 'a:2', command: 'x' } },
      { kind: 'barrier', job: { id: 'cmd', command: 'sync' } },
      { kind: 'job', job: { id: 'a:3', command: 'x' } },
    ];
    const summary = await runJobs(steps, { executor: fake.executor }).summary;
    const at = (id: string) => fake.log.find((e) => e.id === id)!;
    expect(at('cmd').start).toBeGreaterThanOrEqual(Math.max(at('a:1').end!, at('a:2').end!));
    expect(at('a:3').start).toBeGreaterThanOrEqual(at('cmd').end!);
    expect(summary).toMatchObject({ barriers: 1, barriersFailed: 0, started: 3 });
  });

  it('events come as an AsyncIterable and as callbacks, in the same order', async () => {
    const fake = fakeExecutor((job) => ({ exitCode: job.id === 'site:p1' ? 3 : 0 }));
    const seen: string[] = [];
    const run = runJobs(jobs(2), { executor: fake.executor, onEvent: (e) => seen.push(e.type) });
    const events = await collect(run);
    expect(events.map((e) => e.type)).toEqual(seen);
    expect(seen.filter((t) => t === 'started')).toHaveLength(2);
    const finished = events.filter((e) => e.type === 'finished');
    expect(finished.map((e) => [e.job.id, e.exitCode, e.ok])).toEqual(
      expect.arrayContaining([
        ['site:p0', 0, true],
        ['site:p1', 3, false],
      ]),
    );
    const done = events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', summary: { failed: 1, failedJobs: ['site:p1'] } });
  });

  it('respects retry timers after success and after failure; -t (ignoreTimers) runs them anyway', async () => {
    const clock = manualClock();
    const store = createMemoryStatusStore();
    const fake = fakeExecutor((job) => ({ exitCode: job.id === 'bad:x' ? 1 : 0 }));
    const list: Job[] = [
      { id: 'good:x', command: 'c', retryAfterSuccess: 100, retryAfterFailure: 10 },
      { id: 'bad:x', command: 'c', retryAfterSuccess: 100, retryAfterFailure: 10 },
    ];
    const opts = { executor: fake.executor, store, clock };
    expect((await runJobs(list, opts).summary).started).toBe(2);
    clock.t += 5;
    const early = await runJobs(list, opts).summary;
    expect(early).toMatchObject({ started: 0, skipped: { timer: 2 } });
    clock.t += 10; // 15 after: the failure's 10 have passed, the success's 100 have not
    const events = await collect(runJobs(list, opts));
    expect(events.filter((e) => e.type === 'started').map((e) => e.job.id)).toEqual(['bad:x']);
    const skip = events.find((e) => e.type === 'skipped');
    expect(skip).toMatchObject({ job: { id: 'good:x' }, reason: 'timer', nextEligible: clock.t - 15 + 100 });
    expect((await runJobs(list, { ...opts, ignoreTimers: true }).summary).started).toBe(2);
  });

  it('clears a failure when the next run succeeds (no sticky failure)', async () => {
    const clock = manualClock();
    const store = createMemoryStatusStore();
    let code = 1;
    const fake = fakeExecutor(() => ({ exitCode: code }));
    const job: Job = { id: 's:p', command: 'c', retryAfterSuccess: 100, retryAfterFailure: 1 };
    await runJobs([job], { executor: fake.executor, store, clock }).summary;
    expect(store.records.get('s:p')).toMatchObject({ lastOk: false, consecutiveFailures: 1 });
    code = 0;
    clock.t += 2;
    await runJobs([job], { executor: fake.executor, store, clock }).summary;
    expect(store.records.get('s:p')).toMatchObject({ lastOk: true, consecutiveFailures: 0, lastExitCode: 0 });
    clock.t += 2; // a success waits its own 100, not the failure's 1
    expect((await runJobs([job], { executor: fake.executor, store, clock }).summary).skipped.timer).toBe(1);
  });

  it('stretches the failure timer with exponential backoff, up to its max', async () => {
    const clock = manualClock(0);
    const store = createMemoryStatusStore();
    const fake = fakeExecutor(() => ({ exitCode: 1 }));
    const job: Job = { id: 's:p', command: 'c', retryAfterFailure: 10, backoff: { factor: 2, max: 35 } };
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await runJobs([job], { executor: fake.executor, store, clock }).summary;
      const r = store.records.get('s:p')!;
      waits.push(r.nextEligible! - r.lastStarted!);
      clock.t = r.nextEligible!;
    }
    expect(waits).toEqual([10, 20, 35, 35]);
  });

  it('-o (only) runs only the named jobs; skip never runs a job; the first occurrence wins', async () => {
    const fake = fakeExecutor();
    const list = [...jobs(3), { id: 'site:p0', command: 'again' }];
    const events = await collect(
      runJobs(list, { executor: fake.executor, only: ['site:p0', 'site:p2'], skip: ['site:p2'] }),
    );
    const skipped = events.flatMap((e) => (e.type === 'skipped' ? [[e.job.id, e.reason]] : []));
    expect(skipped).toEqual([
      ['site:p1', 'not-selected'],
      ['site:p2', 'skip'],
      ['site:p0', 'duplicate'],
    ]);
    expect(fake.log.map((e) => e.id)).toEqual(['site:p0']);
  });

  it('takes the lock before starting: two runs sharing locks never run one job twice at once', async () => {
    const locks = createMemoryLocks();
    const fake = fakeExecutor(() => ({ ms: 15 }));
    const [a, b] = await Promise.all([
      runJobs(jobs(6), { executor: fake.executor, locks }).summary,
      runJobs(jobs(6), { executor: fake.executor, locks }).summary,
    ]);
    expect(a.started + b.started).toBe(6);
    expect(a.skipped.locked + b.skipped.locked).toBe(6);
    expect(locks.held.size).toBe(0);
  });

  it("takes the next jobs' locks while max jobs run, so a freed slot refills without waiting for a lock", async () => {
    const fake = fakeExecutor(() => ({ ms: 20 }));
    const memory = createMemoryLocks();
    let running = 0;
    let mostHeld = 0;
    const triedWhileFull: string[] = [];
    const locks: LockPort = {
      async tryLock(job) {
        if (running === 2) triedWhileFull.push(job.id);
        // A lock that takes a while, as a file lock does under load.
        await new Promise((resolve) => setTimeout(resolve, 5));
        const attempt = await memory.tryLock(job);
        mostHeld = Math.max(mostHeld, memory.held.size);
        return attempt;
      },
      holder: (job) => memory.holder(job),
    };
    const started: string[] = [];
    const summary = await runJobs(jobs(8), {
      max: 2,
      executor: fake.executor,
      locks,
      onEvent: (e) => {
        if (e.type === 'started') {
          running += 1;
          started.push(e.job.id);
        }
        if (e.type === 'finished') running -= 1;
      },
    }).summary;
    expect(summary).toMatchObject({ started: 8, succeeded: 8, maxRunning: 2 });
    expect(fake.maxRunning).toBe(2);
    expect(triedWhileFull.length).toBeGreaterThan(0);
    // In plan order, and never more locks ahead than max.
    expect(started).toEqual(jobs(8).map((j) => j.id));
    expect(mostHeld).toBeLessThanOrEqual(4);
    expect(memory.held.size).toBe(0);
  });

  it('a job locked elsewhere is skipped without taking a slot, and a lock that throws fails only its job', async () => {
    const memory = createMemoryLocks();
    const other = await memory.tryLock({ id: 'site:p1' });
    const locks: LockPort = {
      tryLock: async (job) => {
        if (job.id === 'site:p2') throw new Error('EACCES: mm.locks');
        return memory.tryLock(job);
      },
      holder: (job) => memory.holder(job),
    };
    const events = await collect(runJobs(jobs(4), { max: 1, executor: fakeExecutor().executor, locks }));
    const summary = events.find((e) => e.type === 'done');
    expect(summary).toMatchObject({
      summary: { started: 2, failedJobs: ['site:p2'], skipped: { locked: 1 } },
    });
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      job: { id: 'site:p2' },
      message: 'EACCES: mm.locks',
    });
    if (other.acquired) await other.lock.release();
    expect(memory.held.size).toBe(0);
  });

  it('a max= step applies to the jobs after it only, even with locks taken ahead', async () => {
    const fake = fakeExecutor(() => ({ ms: 10 }));
    const steps: Step[] = [
      { kind: 'max', max: 1 },
      ...jobs(3).map((job) => ({ kind: 'job' as const, job })),
      { kind: 'max', max: 3 },
      ...jobs(6)
        .slice(3)
        .map((job) => ({ kind: 'job' as const, job })),
    ];
    const summary = await runJobs(steps, { executor: fake.executor }).summary;
    expect(summary.started).toBe(6);
    const first = fake.log.slice(0, 3);
    for (let i = 1; i < 3; i++) expect(first[i]!.start).toBeGreaterThanOrEqual(first[i - 1]!.end!);
    expect(fake.maxRunning).toBe(3);
  });

  it('-t ignores timers but not locks', async () => {
    const locks = createMemoryLocks();
    const job: Job = { id: 's:p', command: 'c', retryAfterSuccess: 1e9 };
    const held = await locks.tryLock(job);
    const summary = await runJobs([job], { executor: fakeExecutor().executor, locks, ignoreTimers: true })
      .summary;
    expect(summary).toMatchObject({ started: 0, skipped: { locked: 1 } });
    if (held.acquired) await held.lock.release();
  });

  it('re-reads the status under the lock: a job another run just finished is not run again', async () => {
    const clock = manualClock();
    const store = createMemoryStatusStore();
    const job: Job = { id: 's:p', command: 'c', retryAfterSuccess: 100 };
    // The other run records its success between our first look and our lock.
    const locks: LockPort = {
      async tryLock() {
        store.records.set('s:p', {
          id: 's:p',
          lastStarted: clock.t,
          lastEnded: clock.t,
          lastOk: true,
          consecutiveFailures: 0,
        });
        return { acquired: true, lock: { release: async () => {} } };
      },
      holder: async () => undefined,
    };
    const summary = await runJobs([job], { executor: fakeExecutor().executor, store, locks, clock }).summary;
    expect(summary).toMatchObject({ started: 0, skipped: { timer: 1 } });
  });

  it('adopts the child pid into the lock and releases the lock after the status is written', async () => {
    const order: string[] = [];
    const store = createMemoryStatusStore();
    const write = store.write;
    store.write = async (job, record) => {
      order.push(record.running ? `write running ${record.running.pid}` : 'write ended');
      return write(job, record);
    };
    const locks: LockPort = {
      tryLock: async () => ({
        acquired: true,
        lock: {
          adopt: async (pid) => void order.push(`adopt ${pid}`),
          release: async () => void order.push('release'),
        },
      }),
      holder: async () => undefined,
    };
    await runJobs(jobs(1), { executor: fakeExecutor().executor, store, locks }).summary;
    expect(order).toEqual(['adopt 1000', 'write running 1000', 'write ended', 'release']);
  });

  it('a job whose command cannot start fails with the reason and the run goes on', async () => {
    const fake = fakeExecutor((job) => ({ unstartable: job.id === 'site:p0' }));
    const events = await collect(runJobs(jobs(2), { executor: fake.executor }));
    expect(events.find((e) => e.type === 'finished' && e.job.id === 'site:p0')).toMatchObject({
      ok: false,
      error: expect.stringContaining('ENOENT'),
    });
    expect(events.at(-1)).toMatchObject({ summary: { succeeded: 1, failed: 1 } });
  });

  it('success exit codes are per job; run functions work like commands', async () => {
    const list: Job[] = [
      { id: 'a', command: 'c', successExitCodes: [0, 24] },
      { id: 'b', run: async () => 0 },
      {
        id: 'c',
        run: async () => {
          throw new Error('boom');
        },
      },
    ];
    const fake = fakeExecutor(() => ({ exitCode: 24 }));
    const events = await collect(runJobs(list, { executor: fake.executor }));
    const ends = events.flatMap((e) => (e.type === 'finished' ? [[e.job.id, e.ok]] : []));
    expect(ends.sort()).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
  });

  it('times a job out: SIGTERM, then SIGKILL after the grace period; it counts as failed', async () => {
    const fake = fakeExecutor(() => ({ ms: 10_000, stubborn: true }));
    const events = await collect(
      runJobs([{ id: 's:p', command: 'c', timeout: 10 }], { executor: fake.executor, killGraceMs: 10 }),
    );
    expect(fake.signals.map((s) => s.signal)).toEqual(['SIGTERM', 'SIGKILL']);
    expect(events.find((e) => e.type === 'finished')).toMatchObject({
      ok: false,
      timedOut: true,
      signal: 'SIGKILL',
    });
  });

  it('an AbortSignal stops everything: children get SIGTERM, nothing more starts, status is written', async () => {
    const controller = new AbortController();
    const store = createMemoryStatusStore();
    const fake = fakeExecutor(() => ({ ms: 10_000 }));
    const run = runJobs(jobs(5), { max: 2, executor: fake.executor, store, signal: controller.signal });
    const events: SchedulerEvent[] = [];
    for await (const e of run) {
      events.push(e);
      if (e.type === 'started' && events.filter((x) => x.type === 'started').length === 2) controller.abort();
    }
    const summary = await run.summary;
    expect(summary).toMatchObject({ aborted: true, started: 2, failed: 2 });
    expect(fake.signals).toEqual([
      { id: 'site:p0', signal: 'SIGTERM' },
      { id: 'site:p1', signal: 'SIGTERM' },
    ]);
    expect(store.records.get('site:p0')).toMatchObject({ lastSignal: 'SIGTERM', lastOk: false });
    expect(store.records.get('site:p0')?.running).toBeUndefined();
  });
});

describe('explain (dry run: why is this job not running)', () => {
  it('says for each job whether it would run, and why not', async () => {
    const clock = manualClock(1);
    const store = createMemoryStatusStore([
      { id: 'late:x', lastStarted: 0, lastEnded: 1, lastOk: true, consecutiveFailures: 0 },
    ]);
    const locks = createMemoryLocks();
    const list: Job[] = [
      { id: 'new:x', command: 'c' },
      { id: 'late:x', command: 'c', retryAfterSuccess: 3_600_000 },
      { id: 'busy:x', command: 'c' },
      { id: 'skip:x', command: 'c' },
    ];
    await locks.tryLock(list[2]!);
    const verdicts = await explain(list, { store, locks, clock, skip: ['skip:x'] });
    expect(verdicts.map((v) => [v.job.id, v.wouldRun, v.reason])).toEqual([
      ['new:x', true, undefined],
      ['late:x', false, 'timer'],
      ['busy:x', false, 'locked'],
      ['skip:x', false, 'skip'],
    ]);
    expect(verdicts[1]!.detail).toContain('eligible again at 1970-01-01T01:00:00Z');
    const fake = fakeExecutor();
    const events = await collect(
      runJobs(list, { store, locks, clock, skip: ['skip:x'], dryRun: true, executor: fake.executor }),
    );
    expect(fake.log).toEqual([]);
    expect(events.filter((e) => e.type === 'would-run').map((e) => e.job.id)).toEqual(['new:x']);
  });
});

describe('runJobs when a port fails', () => {
  it('a lock port that throws fails that job with an error event; the run goes on', async () => {
    const locks: LockPort = {
      tryLock: async (job) => {
        if (job.id === 'site:p0') throw new Error('EACCES: permission denied, mkdir mm.locks');
        return { acquired: true, lock: { release: async () => {} } };
      },
      holder: async () => undefined,
    };
    const events = await collect(runJobs(jobs(2), { executor: fakeExecutor().executor, locks }));
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      job: { id: 'site:p0' },
      message: expect.stringContaining('EACCES'),
    });
    expect(events.at(-1)).toMatchObject({
      summary: { started: 1, succeeded: 1, failed: 1, failedJobs: ['site:p0'] },
    });
  });

  it('a status store that cannot write makes the job count as failed, and its lock is still released', async () => {
    const locks = createMemoryLocks();
    const store = createMemoryStatusStore();
    store.write = async (_job, record) => {
      if (!record.running) throw new Error('ENOSPC: no space left on device');
    };
    const summary = await runJobs(jobs(1), { executor: fakeExecutor().executor, locks, store }).summary;
    expect(summary).toMatchObject({ started: 1, succeeded: 0, failed: 1 });
    expect(locks.held.size).toBe(0);
  });

  it('an onEvent callback that throws does not break the run; summary then rejects with its error', async () => {
    const fake = fakeExecutor();
    const run = runJobs(jobs(3), {
      executor: fake.executor,
      onEvent: (e) => {
        if (e.type === 'started') throw new Error('callback bug');
      },
    });
    await expect(run.summary).rejects.toThrow('callback bug');
    expect(fake.log.filter((e) => e.end !== undefined)).toHaveLength(3);
  });

  it('every job that ran gets its finished event, even when its status cannot be stored', async () => {
    const store = createMemoryStatusStore();
    store.write = async () => {
      throw new Error('ENOENT: no such file or directory');
    };
    const events = await collect(runJobs(jobs(2), { executor: fakeExecutor().executor, store }));
    expect(events.filter((e) => e.type === 'finished').map((e) => e.job.id)).toEqual(['site:p0', 'site:p1']);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(2);
  });
});

describe('timers as mm.pl counts them, and their edges', () => {
  it('counts the retry interval from the end of the last run, as mm.pl does', async () => {
    const clock = manualClock(10_000);
    const store = createMemoryStatusStore([
      { id: 'site:p0', lastStarted: 0, lastEnded: 9_000, lastOk: true, consecutiveFailures: 0 },
    ]);
    const [verdict] = await explain(jobs(1, { retryAfterSuccess: 5_000 }), { store, clock });
    expect(verdict).toMatchObject({ wouldRun: false, reason: 'timer', nextEligible: 14_000 });
  });

  it('a last run recorded in the future (the clock was stepped back) does not hold a job back', async () => {
    const clock = manualClock(1_000);
    const store = createMemoryStatusStore([
      { id: 'site:p0', lastStarted: 5e11, lastEnded: 5e11, lastOk: true, consecutiveFailures: 0 },
    ]);
    const [verdict] = await explain(jobs(1, { retryAfterSuccess: 3_600_000 }), { store, clock });
    expect(verdict).toMatchObject({ wouldRun: true });
  });

  it('retry times too large for a date mean "not again", and explaining them does not throw', async () => {
    const store = createMemoryStatusStore([
      { id: 'site:p0', lastStarted: 0, lastEnded: 0, lastOk: true, consecutiveFailures: 0 },
    ]);
    const [verdict] = await explain(jobs(1, { retryAfterSuccess: 9_999_999_999 * 3_600_000 }), {
      store,
      clock: manualClock(1),
    });
    expect(verdict).toMatchObject({ wouldRun: false, reason: 'timer' });
    expect(verdict!.detail).toContain('not again within any time that matters');
  });

  it('only: a regular expression selects the jobs whose id it matches (mm -oPATTERN)', async () => {
    const fake = fakeExecutor();
    await runJobs(jobs(12), { executor: fake.executor, only: /p1\d?$/ }).summary;
    expect(fake.log.map((e) => e.id).sort()).toEqual(['site:p1', 'site:p10', 'site:p11']);
  });
});
