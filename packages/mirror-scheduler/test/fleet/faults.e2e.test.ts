import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, SchedulerEvent } from '../../src/index.js';
import {
  cancelFleetJob,
  connectFleet,
  enqueueDueJobs,
  type FleetConnection,
  fleetExecutor,
  runFleetWorker,
} from '../../src/pg-boss/index.js';
import {
  alive,
  killWorker,
  markedCommand,
  peakOverlap,
  readEvents,
  readMarks,
  startWorker,
  stopWorker,
  until,
  type WorkerProcess,
} from './harness.js';
import { fleetSkipReason, TestPostgres } from './postgres.js';

const skip = fleetSkipReason();

interface RunRow {
  run_id: string;
  job_id: string;
  fence: string;
  worker: string;
  pid: number | null;
  started: Date;
  ended: Date | null;
  outcome: string | null;
}

describe.skipIf(skip !== undefined)(
  `the fleet under faults, with real processes${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let pg: TestPostgres;
    let dir: string;
    beforeAll(async () => {
      pg = await TestPostgres.create();
      dir = await mkdtemp(join(tmpdir(), 'mm-fleet-faults-'));
    });
    afterAll(async () => {
      await pg?.destroy();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const job = (id: string, command: string): Job => ({
      id,
      command,
      args: [id],
      cwd: dir,
      retryAfterSuccess: 3_600_000,
      retryAfterFailure: 3_600_000,
    });
    const runsOf = (fleet: FleetConnection, schema: string, id?: string) =>
      fleet.db.query<RunRow>(
        `SELECT * FROM "${schema}".runs ${id === undefined ? '' : 'WHERE job_id = $1'} ORDER BY job_id, fence`,
        id === undefined ? [] : [id],
      );

    it('keeps 20 jobs over 3 sites within a per-site limit of 2 and a global limit of 4, on two workers', async () => {
      const schema = 'limits';
      const fleet = await connectFleet({ url: pg.url, schema });
      const log = join(dir, 'limits.log');
      const events = join(dir, 'limits.events');
      const workers = [1, 2].map((n) =>
        startWorker(pg.url, schema, `w${n}`, { max: 4, leaseMs: 3000, events }),
      );
      try {
        const jobs = Array.from({ length: 20 }, (_, i) =>
          job(`s${(i % 3) + 1}:p${i}`, markedCommand(log, '0.25')),
        );
        const { queued } = await enqueueDueJobs(fleet, jobs, { max: 4, siteMax: 2 });
        expect(queued).toHaveLength(20);
        const sampled = { global: 0, site: 0, samples: 0 };
        let done = false;
        const sampler = (async () => {
          while (!done) {
            const rows = await fleet.db.query<{ site: string; n: number }>(
              `SELECT split_part(job_id, ':', 1) AS site, count(*)::int AS n FROM "${schema}".lease WHERE running GROUP BY 1`,
            );
            sampled.global = Math.max(
              sampled.global,
              rows.reduce((sum, r) => sum + r.n, 0),
            );
            sampled.site = Math.max(sampled.site, ...rows.map((r) => r.n), 0);
            sampled.samples += 1;
            await new Promise((r) => setTimeout(r, 10));
          }
        })();
        await until(
          'all 20 jobs recorded',
          async () => {
            const ok = (await runsOf(fleet, schema)).filter((r) => r.outcome === 'ok');
            return ok.length === 20 ? ok : undefined;
          },
          60_000,
        );
        done = true;
        await sampler;
        const marks = readMarks(log);
        expect(marks.filter((m) => m.kind === 'E')).toHaveLength(20);
        const global = peakOverlap(marks, () => 'all').get('all')!;
        const perSite = peakOverlap(marks, (m) => m.id.split(':')[0]!);
        expect(global).toBeLessThanOrEqual(4);
        expect(Math.max(...perSite.values())).toBeLessThanOrEqual(2);
        expect(sampled.global).toBeLessThanOrEqual(4);
        expect(sampled.site).toBeLessThanOrEqual(2);
        expect(sampled.samples).toBeGreaterThan(10);
        // The limits were reached, not merely respected by running one job at a time.
        expect(global).toBeGreaterThanOrEqual(3);
        expect(Math.max(...perSite.values())).toBe(2);
        const byWorker = new Set((await runsOf(fleet, schema)).map((r) => r.worker));
        expect(byWorker).toEqual(new Set(['w1', 'w2']));
      } finally {
        await Promise.all(workers.map(stopWorker));
        await fleet.close();
      }
    });

    it('reruns exactly once, never overlapping, the job of a worker SIGKILLed at random moments (32 rounds)', async () => {
      const schema = 'kills';
      const leaseMs = 1200;
      const fleet = await connectFleet({ url: pg.url, schema });
      const log = join(dir, 'kills.log');
      const events = join(dir, 'kills.events');
      // Each worker tells of a job's exit 150 ms late: a kill can land after the mirror exited, before its end is recorded.
      const opts = { max: 2, leaseMs, events, endDelayMs: 150 };
      let serial = 0;
      const workers = new Map<string, WorkerProcess>();
      const spawnOne = () => {
        const name = `k${++serial}`;
        workers.set(name, startWorker(pg.url, schema, name, opts));
      };
      spawnOne();
      spawnOne();
      const rounds: {
        id: string;
        killedAt: number;
        victim: string;
        pid: number;
        exitedBeforeKill: boolean;
      }[] = [];
      try {
        for (let i = 0; i < 32; i++) {
          const id = `round:${i}`;
          const seconds = (0.05 + Math.random() * 0.25).toFixed(2);
          await enqueueDueJobs(fleet, [job(id, markedCommand(log, seconds))], { max: 4 });
          const running = await until(`round ${i} started`, async () => {
            const [row] = await fleet.db.query<{ worker: string; pid: number | null }>(
              `SELECT worker, pid FROM "${schema}".lease WHERE job_id = $1 AND running AND pid IS NOT NULL`,
              [id],
            );
            return row as { worker: string; pid: number } | undefined;
          });
          await new Promise((r) => setTimeout(r, Math.random() * (Number(seconds) * 1000 + 200)));
          const victim = workers.get(running.worker)!;
          const exitedBeforeKill = readMarks(log).some((m) => m.id === id && m.kind === 'E');
          await killWorker(victim);
          const killedAt = Date.now();
          workers.delete(running.worker);
          spawnOne();
          // The job's shell dies with its worker (parent-death signal), at once.
          await until(`round ${i}: pid ${running.pid} dead`, () => !alive(running.pid), 2000);
          rounds.push({ id, killedAt, victim: running.worker, pid: running.pid, exitedBeforeKill });
          await until(
            `round ${i} completed`,
            async () => {
              const runs = await runsOf(fleet, schema, id);
              return runs.some((r) => r.outcome === 'ok') || undefined;
            },
            20_000,
          );
        }
      } finally {
        await Promise.all([...workers.values()].map(stopWorker));
      }
      const marks = readMarks(log);
      let rerun = 0;
      let afterExit = 0;
      for (const round of rounds) {
        const runs = await runsOf(fleet, schema, round.id);
        const ok = runs.filter((r) => r.outcome === 'ok');
        expect(ok, `${round.id}: one recorded completion`).toHaveLength(1);
        expect(runs.at(-1)!.outcome, `${round.id}: the recorded run is the last`).toBe('ok');
        for (const r of runs.slice(0, -1)) expect(r.outcome).toBe('lost');
        const mine = marks.filter((m) => m.id === round.id);
        const last = runs.at(-1)!;
        expect(mine.filter((m) => m.fence === Number(last.fence)).map((m) => m.kind)).toEqual(['S', 'E']);
        if (runs.length > 1) {
          rerun += 1;
          expect(runs).toHaveLength(2); // the killed run, and exactly one more
          const lost = runs[0]!;
          expect(lost.worker).toBe(round.victim);
          // The rerun began only after the dead run's lease had expired, and after the dead run's process died.
          expect(last.started.getTime()).toBeGreaterThanOrEqual(lost.ended!.getTime());
          const rerunStart = mine.find((m) => m.kind === 'S' && m.fence === Number(last.fence))!;
          expect(rerunStart.at).toBeGreaterThan(round.killedAt);
          if (mine.some((m) => m.kind === 'E' && m.fence === Number(lost.fence))) afterExit += 1;
        } else {
          // Killed after its end was recorded: nothing to rerun.
          expect(round.exitedBeforeKill).toBe(true);
        }
      }
      expect(rerun).toBeGreaterThanOrEqual(16);
      expect(afterExit, 'kills after the mirror exited, before its end was recorded').toBeGreaterThanOrEqual(
        1,
      );
      await fleet.close();
    }, 170_000);

    it('kills a job when only its worker process dies (SIGKILL to the worker alone), forked by Node or the Perl helper', async () => {
      const schema = 'orphans';
      const fleet = await connectFleet({ url: pg.url, schema });
      const events = join(dir, 'orphans.events');
      try {
        for (const forkHelper of [false, true]) {
          const id = `orphan:${forkHelper ? 'perl' : 'node'}`;
          const w = startWorker(pg.url, schema, id, { max: 1, leaseMs: 5000, events, forkHelper });
          await enqueueDueJobs(fleet, [job(id, 'exec sleep 60')], { max: 4 });
          const pid = await until(`${id} started`, async () => {
            const [row] = await fleet.db.query<{ pid: number | null }>(
              `SELECT pid FROM "${schema}".lease WHERE job_id = $1 AND running`,
              [id],
            );
            return row?.pid ?? undefined;
          });
          expect(alive(pid)).toBe(true);
          process.kill(w.pid, 'SIGKILL'); // the worker alone, not its process group
          await w.exited;
          await until(`${id}: pid ${pid} dead`, () => !alive(pid), 3000);
          try {
            process.kill(-w.pid, 'SIGKILL'); // whatever else was left in its group
          } catch {
            // nothing was
          }
        }
      } finally {
        await fleet.close();
      }
    });

    it('refuses the result of a worker stopped (SIGSTOP) past its lease, and kills its job when it continues', async () => {
      const schema = 'stops';
      const leaseMs = 1000;
      const fleet = await connectFleet({ url: pg.url, schema });
      const log = join(dir, 'stops.log');
      const events = join(dir, 'stops.events');
      const stale = startWorker(pg.url, schema, 'stale', { max: 2, leaseMs, events });
      let other: WorkerProcess | undefined;
      try {
        // 'quick' ends while its worker is stopped; 'long' is still running when it continues (only under fence 1).
        const long = `if [ "$MM_FENCE" = 1 ]; then ${markedCommand(log, '30')}; else ${markedCommand(log, '0.1')}; fi`;
        await enqueueDueJobs(fleet, [job('st:quick', markedCommand(log, '0.6')), job('st:long', long)], {
          max: 4,
        });
        const pids = await until('both started on the first worker', async () => {
          const rows = await fleet.db.query<{ job_id: string; pid: number | null }>(
            `SELECT job_id, pid FROM "${schema}".lease WHERE running AND worker = 'stale' AND pid IS NOT NULL`,
          );
          return rows.length === 2 ? new Map(rows.map((r) => [r.job_id, r.pid!])) : undefined;
        });
        process.kill(stale.pid, 'SIGSTOP');
        other = startWorker(pg.url, schema, 'other', { max: 2, leaseMs, events });
        await until('the other worker completed both', async () => {
          const runs = await runsOf(fleet, schema);
          return runs.filter((r) => r.outcome === 'ok' && r.worker === 'other').length === 2 || undefined;
        });
        expect(alive(pids.get('st:quick')!)).toBe(false); // it ended while its worker was stopped
        expect(alive(pids.get('st:long')!)).toBe(true);
        process.kill(stale.pid, 'SIGCONT');
        await until('the stale job killed', () => !alive(pids.get('st:long')!), 5000);
        await until('both results refused', () => {
          const refused = readEvents(events).filter((e) => e.worker === 'stale' && e.type === 'error');
          return refused.length === 2 ? refused : undefined;
        });
        const staleEvents = readEvents(events).filter((e) => e.worker === 'stale');
        expect(staleEvents.filter((e) => e.type === 'finished')).toEqual([]);
        for (const e of staleEvents.filter((x) => x.type === 'error'))
          expect(e.message).toMatch(/result refused \(fence 1\)/);
        const runs = await runsOf(fleet, schema);
        expect(runs.map((r) => [r.job_id, Number(r.fence), r.worker, r.outcome])).toEqual([
          ['st:long', 1, 'stale', 'lost'],
          ['st:long', 2, 'other', 'ok'],
          ['st:quick', 1, 'stale', 'lost'],
          ['st:quick', 2, 'other', 'ok'],
        ]);
        expect(
          readMarks(log)
            .filter((m) => m.id === 'st:long' && m.fence === 1)
            .map((m) => m.kind),
        ).toEqual(['S']);
        const [status] = await fleet.db.query<{ record: { lastOk: boolean; lastStarted: number } }>(
          `SELECT record FROM "${schema}".status WHERE job_id = 'st:quick'`,
        );
        expect(status!.record.lastStarted).toBe(runs[3]!.started.getTime());
      } finally {
        process.kill(stale.pid, 'SIGCONT');
        await Promise.all([stopWorker(stale), other && stopWorker(other)]);
        await fleet.close();
      }
    });

    it('rides out a PostgreSQL restart mid-run: workers reconnect, no job is lost or run twice', async () => {
      const schema = 'restart';
      const fleet = await connectFleet({ url: pg.url, schema });
      const log = join(dir, 'restart.log');
      const events = join(dir, 'restart.events');
      const workers = [1, 2].map((n) =>
        startWorker(pg.url, schema, `r${n}`, { max: 3, leaseMs: 5000, events }),
      );
      try {
        const jobs = Array.from({ length: 12 }, (_, i) => job(`r${i % 2}:p${i}`, markedCommand(log, '0.4')));
        await enqueueDueJobs(fleet, jobs, { max: 4 });
        await until('jobs running', () => readMarks(log).length >= 2 || undefined);
        await pg.restart(300);
        await until(
          'all 12 recorded',
          async () => {
            const runs = await fleet.db.query<RunRow>(
              `SELECT * FROM "${schema}".runs WHERE outcome = 'ok'`,
              [],
              10_000,
            );
            return runs.length >= 12 || undefined;
          },
          60_000,
        );
        const runs = await runsOf(fleet, schema);
        expect(runs.map((r) => `${r.job_id} ${r.outcome}`).sort()).toEqual(
          jobs.map((j) => `${j.id} ok`).sort(),
        );
        const marks = readMarks(log);
        expect(marks.filter((m) => m.kind === 'S')).toHaveLength(12);
        expect(marks.filter((m) => m.kind === 'E')).toHaveLength(12);
        expect(readEvents(events).filter((e) => e.type === 'error')).toEqual([]);
      } finally {
        await Promise.all(workers.map(stopWorker));
        await fleet.close();
      }
    });

    it('carries a cancellation to the worker running the job, and takes a queued job off the queue', async () => {
      const schema = 'cancel';
      const fleet = await connectFleet({ url: pg.url, schema });
      const stop = new AbortController();
      const events: SchedulerEvent[] = [];
      const worker = runFleetWorker(fleet, {
        leaseMs: 600,
        pollMs: 20,
        killGraceMs: 2000,
        executor: fleetExecutor({ output: 'ignore' }),
        signal: stop.signal,
        onEvent: (e) => events.push(e),
      });
      try {
        await enqueueDueJobs(fleet, [job('c:long', 'exec sleep 30')], { max: 4 });
        const started = await until('started', () => events.find((e) => e.type === 'started'));
        expect(await cancelFleetJob(fleet, 'c:long')).toBe('running');
        const finished = await until('finished', () => events.find((e) => e.type === 'finished'), 5000);
        expect(finished).toMatchObject({ ok: false, signal: 'SIGTERM' });
        expect(started.type === 'started' && started.pid !== undefined && !alive(started.pid)).toBe(true);
        const runs = await runsOf(fleet, schema, 'c:long');
        expect(runs.map((r) => r.outcome)).toEqual(['cancelled']);
        stop.abort();
        await worker;
        await enqueueDueJobs(fleet, [job('c:queued', 'true')], { max: 4 });
        expect(await cancelFleetJob(fleet, 'c:queued')).toBe('queued');
        const idle = await runFleetWorker(fleet, {
          exitWhenIdle: true,
          pollMs: 20,
          executor: fleetExecutor({ output: 'ignore' }),
        });
        expect(idle.started).toBe(0);
        expect(await cancelFleetJob(fleet, 'c:nothing')).toBe('none');
      } finally {
        stop.abort();
        await worker;
        await fleet.close();
      }
    });
  },
);
