import { DURATION_BUCKETS_SECONDS, RUN_RESULTS } from './run-history.js';
import { JOB_STATES, type JobStatus, type StatusSnapshot } from './status-snapshot.js';

/** Label values escape `\`, `"` and newlines (Prometheus text format 0.0.4). */
const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const seconds = (ms: number) => String(ms / 1000);

interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'counter' | 'histogram';
  readonly help: string;
  /** Sample lines of one job (without the family name's HELP/TYPE). */
  readonly samples: (job: JobStatus, id: string) => string[];
}

const gauge = (name: string, help: string, value: (j: JobStatus) => number | undefined): Family => ({
  name,
  type: 'gauge',
  help,
  samples: (j, id) => {
    const v = value(j);
    return v === undefined ? [] : [`${name}{job="${id}"} ${v}`];
  },
});

const FAMILIES: readonly Family[] = [
  gauge(
    'mm_job_last_success_timestamp_seconds',
    'When the last successful run of the job ended (Unix time).',
    (j) => (j.lastSuccess === undefined ? undefined : j.lastSuccess / 1000),
  ),
  gauge(
    'mm_job_last_attempt_start_timestamp_seconds',
    'When the last run of the job started (Unix time).',
    (j) => (j.lastAttempt === undefined ? undefined : j.lastAttempt.start / 1000),
  ),
  gauge(
    'mm_job_last_attempt_end_timestamp_seconds',
    'When the last run of the job ended (Unix time).',
    (j) => (j.lastAttempt?.end === undefined ? undefined : j.lastAttempt.end / 1000),
  ),
  gauge(
    'mm_job_next_eligible_timestamp_seconds',
    'When the job may run again (Unix time); absent while it may run now.',
    (j) => (j.nextEligible === undefined ? undefined : j.nextEligible / 1000),
  ),
  gauge(
    'mm_job_ok_interval_seconds',
    'How long after a successful start the job waits before it runs again (min-restart-last-ok).',
    (j) => j.okIntervalMs / 1000,
  ),
  gauge(
    'mm_job_failed_interval_seconds',
    'How long after a failed start the job waits before it runs again (min-restart-last-notok).',
    (j) => j.failedIntervalMs / 1000,
  ),
  gauge('mm_job_consecutive_failures', 'Failed runs of the job in a row.', (j) => j.consecutiveFailures),
  gauge('mm_job_running', '1 while a run of the job holds its lock.', (j) => (j.state === 'running' ? 1 : 0)),
  {
    name: 'mm_job_state',
    type: 'gauge',
    help: 'The state of the job: 1 for its current state, 0 for the others.',
    samples: (j, id) =>
      JOB_STATES.map((s) => `mm_job_state{job="${id}",state="${s}"} ${j.state === s ? 1 : 0}`),
  },
  {
    name: 'mm_job_runs_total',
    type: 'counter',
    help: 'Runs of the job recorded in its history, by result.',
    samples: (j, id) =>
      RUN_RESULTS.map((r) => `mm_job_runs_total{job="${id}",result="${r}"} ${j.totals.byResult[r]}`),
  },
  {
    name: 'mm_job_run_duration_seconds',
    type: 'histogram',
    help: 'How long the runs of the job took (skips excluded).',
    samples: (j, id) => {
      const lines: string[] = [];
      let cumulative = 0;
      DURATION_BUCKETS_SECONDS.forEach((bound, i) => {
        cumulative += j.totals.buckets[i] ?? 0;
        lines.push(`mm_job_run_duration_seconds_bucket{job="${id}",le="${bound}"} ${cumulative}`);
      });
      lines.push(`mm_job_run_duration_seconds_bucket{job="${id}",le="+Inf"} ${j.totals.durationCount}`);
      lines.push(`mm_job_run_duration_seconds_sum{job="${id}"} ${j.totals.durationSumSeconds}`);
      lines.push(`mm_job_run_duration_seconds_count{job="${id}"} ${j.totals.durationCount}`);
      return lines;
    },
  },
];

/**
 * The snapshot in Prometheus' text exposition format (0.0.4): per job its last success, last attempt start and
 * end, next eligible time, ok/failed intervals (so that alerts can be relative: `time() -
 * mm_job_last_success_timestamp_seconds > 2 * mm_job_ok_interval_seconds`), consecutive failures, state, runs by
 * result and a duration histogram; and the slots used and the limit.
 * @example
 * res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE).end(formatMetrics(snapshot));
 */
export function formatMetrics(snapshot: StatusSnapshot): string {
  const out: string[] = [
    '# HELP mm_slots_used Jobs of this configuration running now.',
    '# TYPE mm_slots_used gauge',
    `mm_slots_used ${snapshot.running}`,
    '# HELP mm_slots_limit How many jobs may run at once (the highest max= of the configuration).',
    '# TYPE mm_slots_limit gauge',
    `mm_slots_limit ${snapshot.limit}`,
    '# HELP mm_jobs Jobs of this configuration, by state.',
    '# TYPE mm_jobs gauge',
    ...JOB_STATES.map((s) => `mm_jobs{state="${s}"} ${snapshot.counts[s]}`),
    '# HELP mm_status_timestamp_seconds When this status was taken (Unix time).',
    '# TYPE mm_status_timestamp_seconds gauge',
    `mm_status_timestamp_seconds ${seconds(snapshot.at)}`,
  ];
  const ids = snapshot.jobs.map((j) => label(j.job.id));
  const chunks = [`${out.join('\n')}\n`];
  for (const family of FAMILIES) {
    // The lines of 256 jobs at a time joined into one string (~50 KB or more): 10,000 jobs make ~600,000 lines,
    // which kept one by one until the end would be copied by every young-generation collection on the way.
    let lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`];
    snapshot.jobs.forEach((j, i) => {
      for (const line of family.samples(j, ids[i]!)) lines.push(line);
      if (i % 256 === 255) {
        chunks.push(`${lines.join('\n')}\n`);
        lines = [];
      }
    });
    if (lines.length > 0) chunks.push(`${lines.join('\n')}\n`);
  }
  return chunks.join('');
}

/** The content type of {@link formatMetrics}' text. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
