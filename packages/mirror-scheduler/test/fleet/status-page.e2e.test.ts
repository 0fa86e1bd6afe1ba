// fleetStatusSnapshot on a real PostgreSQL: the fleet's state mapped onto the single host's StatusSnapshot, so the
// same renderer, /jobs and /metrics show it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMetrics, type Job, renderStatusPage, tunasyncJobs } from '../../src/index.js';
import {
  connectFleet,
  enqueueDueJobs,
  fleetExecutor,
  fleetStatusSnapshot,
  runFleetWorker,
} from '../../src/pg-boss/index.js';
import { fleetSkipReason, TestPostgres } from './postgres.js';

const skip = fleetSkipReason();

describe.skipIf(skip !== undefined)(
  `the fleet's status snapshot on a real PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let pg: TestPostgres;
    let dir: string;
    beforeAll(async () => {
      pg = await TestPostgres.create();
      dir = await mkdtemp(join(tmpdir(), 'mm-fleet-page-'));
    });
    afterAll(async () => {
      await pg?.destroy();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const job = (id: string, command: string): Job => ({
      id,
      command,
      cwd: dir,
      retryAfterSuccess: 3_600_000,
      retryAfterFailure: 600_000,
    });

    it("maps each job's record, queue entry and runs onto the status page's rows, and the workers onto its fleet section", async () => {
      const fleet = await connectFleet({ url: pg.url, schema: 'page' });
      try {
        const ran = [job('a:ok', 'exit 0'), job('b:bad', 'exit 4')];
        expect((await enqueueDueJobs(fleet, ran)).queued).toEqual(['a:ok', 'b:bad']);
        const summary = await runFleetWorker(fleet, {
          executor: fleetExecutor({ output: 'ignore' }),
          exitWhenIdle: true,
          pollMs: 20,
        });
        expect(summary).toMatchObject({ started: 2, succeeded: 1, failed: 1 });
        // Queued after the worker left: it stays in the queue.
        expect((await enqueueDueJobs(fleet, [job('c:later', 'exit 0')])).queued).toEqual(['c:later']);

        const { snapshot, status } = await fleetStatusSnapshot(fleet);
        const by = Object.fromEntries(snapshot.jobs.map((j) => [j.job.id, j]));
        expect(snapshot.jobs.map((j) => [j.job.id, j.state])).toEqual([
          ['b:bad', 'failing'],
          ['c:later', 'queued'],
          ['a:ok', 'waiting'],
        ]);
        expect(by['b:bad']!.reason).toMatch(/^failing once \(last exit 4\); retry after \S+Z$/);
        expect(by['b:bad']!.history.map((r) => [r.result, r.exitCode])).toEqual([['failed', 4]]);
        expect(by['c:later']!.reason).toMatch(/^queued since \S+Z, waiting for a worker and a slot$/);
        expect(by['a:ok']!.reason).toMatch(/^waiting for its timer until \S+Z$/);
        expect(by['a:ok']!.totals.byResult.ok).toBe(1);
        // The intervals come from the jobs the planner sent.
        expect(by['a:ok']!.okIntervalMs).toBe(3_600_000);
        expect(snapshot.counts).toMatchObject({ failing: 1, queued: 1, waiting: 1, running: 0 });
        expect(snapshot.fleet!.queued).toBe(1);
        expect(status.queued).toBe(1);
        expect(snapshot.fleet!.workers).toHaveLength(1);
        expect(snapshot.fleet!.workers[0]).toMatchObject({
          worker: summary.worker,
          state: 'stopped',
          running: [],
        });

        const page = renderStatusPage(snapshot);
        expect(page).toContain('<section id="fleet">');
        expect(page).toContain('<h2>Fleet: 0 of 1 workers alive, 1 queued; slots global 0/6</h2>');
        expect(page).toContain(`<th scope="row">${summary.worker}</th>`);
        expect(tunasyncJobs(snapshot).find((j) => j.name === 'c:later')!.status).toBe('pre-syncing');
        expect(formatMetrics(snapshot)).toContain('mm_jobs{state="queued"} 1\n');

        // The strip shows the last N runs; the totals (runs by result, the duration histogram) count all of them.
        const bare = await fleetStatusSnapshot(fleet, { historyRuns: 0 });
        const bad = bare.snapshot.jobs.find((j) => j.job.id === 'b:bad')!;
        expect(bad.history).toEqual([]);
        expect(bad.totals.byResult).toMatchObject({ failed: 1, ok: 0 });
        expect(bad.totals.durationCount).toBe(1);
        expect(bad.totals.buckets.reduce((a, b) => a + b, 0)).toBe(1);
        expect(bad.totals.buckets[0]).toBe(1); // exit 4 at once: ≤ 1 s

        // With the plan's steps, a job the fleet never saw is listed too (never run; due).
        const planned = await fleetStatusSnapshot(fleet, { steps: [...ran, job('d:new', 'exit 0')] });
        expect(planned.snapshot.jobs.find((j) => j.job.id === 'd:new')).toMatchObject({
          state: 'never',
          reason: 'never run; due now',
        });
      } finally {
        await fleet.close();
      }
    });
  },
);
