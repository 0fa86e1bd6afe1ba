import { describe, expect, it } from 'vitest';
import { formatFleetMetrics } from '../src/pg-boss/fleet-metrics.js';

describe('fleet metrics', () => {
  it('prints workers, queue, slots and running jobs in the Prometheus text format, escaping label values', () => {
    const now = new Date('2026-11-28T10:00:10Z');
    const text = formatFleetMetrics({
      now,
      queued: 5,
      limits: { global: { max: 4, used: 1 }, 'site:ftp.x.org': { max: 2, used: 1 } },
      workers: [
        {
          worker: 'h:1:a',
          hostname: 'h',
          pid: 1,
          max: 2,
          started: now,
          heartbeat: new Date('2026-11-28T10:00:08.5Z'),
          alive: true,
          stopped: null,
          running: [{ jobId: 'ftp.x.org:gnu', fence: 3, pid: 42, since: now }],
        },
        {
          worker: 'h:2:b',
          hostname: 'h',
          pid: 2,
          max: 2,
          started: now,
          heartbeat: new Date('2026-11-28T09:00:00Z'),
          alive: false,
          stopped: null,
          running: [],
        },
      ],
      jobs: [
        {
          id: 'ftp.x.org:gnu "tools"',
          record: { id: 'ftp.x.org:gnu "tools"', consecutiveFailures: 0 },
          running: { worker: 'h:1:a', fence: 3, pid: 42, since: now, expires: now },
        },
        { id: 'idle:job', record: { id: 'idle:job', consecutiveFailures: 1 } },
      ],
    });
    expect(text).toContain('mm_fleet_workers_alive 1\n');
    expect(text).toContain('mm_fleet_queued_jobs 5\n');
    expect(text).toContain('mm_fleet_worker_heartbeat_age_seconds{worker="h:1:a"} 1.5\n');
    expect(text).not.toContain('worker="h:2:b"');
    expect(text).toContain('mm_fleet_slots_used{scope="site:ftp.x.org"} 1\n');
    expect(text).toContain('mm_fleet_slots_max{scope="global"} 4\n');
    expect(text).toContain(
      'mm_fleet_job_running{job="ftp.x.org:gnu \\"tools\\"",worker="h:1:a",fence="3"} 1\n',
    );
    expect(text).not.toContain('idle:job');
    expect(text).toContain('# TYPE mm_fleet_slots_used gauge\n');
  });
});
