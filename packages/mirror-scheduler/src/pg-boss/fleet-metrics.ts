import type { FleetStatus } from './fleet-status.js';

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The fleet in the Prometheus text format, for a `/metrics` endpoint: workers alive, their heartbeat ages and
 * running jobs, the queue, and the slots used and allowed per scope (`global`, `site:NAME`).
 * @example
 * response.end(formatFleetMetrics(await fleetStatus(fleet)));
 * // mm_fleet_workers_alive 2
 * // mm_fleet_slots_used{scope="global"} 3
 */
export function formatFleetMetrics(status: FleetStatus): string {
  const now = status.now.getTime();
  const lines: string[] = [];
  const metric = (name: string, help: string, type: 'gauge', samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const live = status.workers.filter((w) => w.alive);
  metric('mm_fleet_workers_alive', 'Workers heard from within their lease.', 'gauge', [['', live.length]]);
  metric('mm_fleet_queued_jobs', 'Jobs waiting in the queue.', 'gauge', [['', status.queued]]);
  metric(
    'mm_fleet_worker_heartbeat_age_seconds',
    'Seconds since each live worker last renewed its leases.',
    'gauge',
    live.map((w) => [`{worker="${label(w.worker)}"}`, (now - w.heartbeat.getTime()) / 1000]),
  );
  metric(
    'mm_fleet_worker_running_jobs',
    'Jobs each live worker holds a lease for.',
    'gauge',
    live.map((w) => [`{worker="${label(w.worker)}"}`, w.running.length]),
  );
  const scopes = Object.entries(status.limits);
  metric(
    'mm_fleet_slots_used',
    'Slots held by running jobs, per scope.',
    'gauge',
    scopes.map(([scope, l]) => [`{scope="${label(scope)}"}`, l.used]),
  );
  metric(
    'mm_fleet_slots_max',
    'The limit of each scope.',
    'gauge',
    scopes.map(([scope, l]) => [`{scope="${label(scope)}"}`, l.max]),
  );
  metric(
    'mm_fleet_job_running',
    'Jobs running now, with the worker and fence of their lease.',
    'gauge',
    status.jobs.flatMap((j) =>
      j.running
        ? [
            [`{job="${label(j.id)}",worker="${label(j.running.worker)}",fence="${j.running.fence}"}`, 1] as [
              string,
              number,
            ],
          ]
        : [],
    ),
  );
  return `${lines.join('\n')}\n`;
}
