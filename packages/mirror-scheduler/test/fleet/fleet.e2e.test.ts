import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, SchedulerEvent } from '../../src/index.js';
import {
  connectFleet,
  enqueueDueJobs,
  fleetExecutor,
  fleetStatus,
  runFleetWorker,
} from '../../src/pg-boss/index.js';
import { fleetSkipReason, TestPostgres } from './postgres.js';

const skip = fleetSkipReason();

describe.skipIf(skip !== undefined)(
  `the fleet on a real PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let pg: TestPostgres;
    let dir: string;
    beforeAll(async () => {
      pg = await TestPostgres.create();
      dir = await mkdtemp(join(tmpdir(), 'mm-fleet-'));
    });
    afterAll(async () => {
      await pg?.destroy();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const job = (id: string, command: string, extra: Partial<Job> = {}): Job => ({
      id,
      command,
      cwd: dir,
      retryAfterSuccess: 3_600_000,
      retryAfterFailure: 3_600_000,
      ...extra,
    });

    it('runs each due job once, records its status in PostgreSQL, and does not resend it before its timer', async () => {
      const fleet = await connectFleet({ url: pg.url, schema: 'basic' });
      try {
        const log = join(dir, 'basic.log');
        const jobs = ['a:1', 'a:2', 'b:1'].map((id) =>
          job(id, `echo "$1 $MM_FENCE" >> ${log}`, { args: [id] }),
        );
        const planned: SchedulerEvent[] = [];
        const first = await enqueueDueJobs(fleet, jobs, { onEvent: (e) => planned.push(e) });
        expect(first.queued).toEqual(['a:1', 'a:2', 'b:1']);
        expect(planned.map((e) => e.type)).toEqual(['queued', 'queued', 'queued']);
        const events: SchedulerEvent[] = [];
        const summary = await runFleetWorker(fleet, {
          executor: fleetExecutor({ output: 'ignore' }),
          exitWhenIdle: true,
          pollMs: 20,
          onEvent: (e) => events.push(e),
        });
        expect(summary).toMatchObject({ started: 3, succeeded: 3, failed: 0, lost: 0 });
        expect((await readFile(log, 'utf8')).trim().split('\n').sort()).toEqual(['a:1 1', 'a:2 1', 'b:1 1']);
        const finished = events.filter((e) => e.type === 'finished');
        expect(finished.map((e) => e.job.id).sort()).toEqual(['a:1', 'a:2', 'b:1']);
        expect(finished.every((e) => e.type === 'finished' && e.ok && e.exitCode === 0)).toBe(true);
        const status = await fleetStatus(fleet);
        expect(status.jobs.map((j) => [j.id, j.record.lastOk, j.record.consecutiveFailures])).toEqual([
          ['a:1', true, 0],
          ['a:2', true, 0],
          ['b:1', true, 0],
        ]);
        const again: SchedulerEvent[] = [];
        const second = await enqueueDueJobs(fleet, jobs, { onEvent: (e) => again.push(e) });
        expect(second.queued).toEqual([]);
        expect(again.every((e) => e.type === 'skipped' && e.reason === 'timer')).toBe(true);
        const forced = await enqueueDueJobs(fleet, jobs, { ignoreTimers: true, only: ['b:1'] });
        expect(forced.queued).toEqual(['b:1']);
      } finally {
        await fleet.close();
      }
    });
  },
);
