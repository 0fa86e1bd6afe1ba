// The status page of a home with 10,000 jobs, each with 20 runs in its journal (the most it holds before it is
// compacted back to the 10 kept: 200,000 lines, ~21 MB): how long from the files on disk to the HTML page
// (target < 1 s), and to /metrics and /jobs. Each of BENCH_ROUNDS (default 5) rounds runs in a fresh Node process,
// as `mm --status --html` does, and reads and parses every file; the median is printed. Wall time and the
// process's CPU time (user + system) are both shown: on a shared, loaded machine wall time also counts waiting
// for a core. There is no peer to compare with: tunasync has no page, mirmon's and archweb's are not per job.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatJournalRun,
  formatMetrics,
  renderStatusPage,
  statusSnapshot,
  tunasyncJobs,
} from '../dist/index.js';
import { formatStatusFile, statusLineOf } from '../dist/mm/index.js';
import { historyFileStore, statusFileStore } from '../dist/node/index.js';

const JOBS = 10_000;
const RUNS = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HOUR = 3_600_000;

const jobsOf = (home) =>
  Array.from({ length: JOBS }, (_, i) => ({
    id: `site${i % 50}.example.org:package-${i}`,
    command: 'true',
    cwd: home,
    retryAfterSuccess: 8 * HOUR,
    retryAfterFailure: HOUR,
  }));

/** One round, in this (fresh) process: files -> snapshot -> page, then metrics and /jobs; prints JSON. */
async function measure(home) {
  const jobs = jobsOf(home);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  // As mm does: every record and every history of the home read once, then served from memory.
  const files = statusFileStore({ home });
  const records = await files.readAll(home);
  const tStatus = performance.now();
  const history = historyFileStore({ home });
  // A page needs only the last runs of each job (read from the journal's end); /metrics needs the totals (below).
  const journal = await history.readHome(home, { totals: false });
  const t1 = performance.now();
  const snapshot = await statusSnapshot(jobs, {
    store: { read: async (job) => records.get(job.id), write: async () => {} },
    history: { read: async (job) => journal.jobs.get(job.id), append: async () => {} },
  });
  const t2 = performance.now();
  const html = renderStatusPage(snapshot);
  const t3 = performance.now();
  const used = process.cpuUsage(cpu);
  const metrics = formatMetrics(snapshot);
  const t4 = performance.now();
  const json = JSON.stringify(tunasyncJobs(snapshot));
  const t5 = performance.now();
  const sizes = { html: html.length, metrics: metrics.length, json: json.length };
  const t6 = performance.now();
  await historyFileStore({ home }).readHome(home);
  const fullHistory = performance.now() - t6;
  console.log(
    JSON.stringify({
      status: tStatus - t0,
      history: t1 - tStatus,
      snapshot: t2 - t1,
      page: t3 - t2,
      total: t3 - t0,
      cpu: (used.user + used.system) / 1000,
      metrics: t4 - t3,
      jobs: t5 - t4,
      fullHistory,
      sizes,
    }),
  );
}

async function setUp() {
  const home = await mkdtemp(join(tmpdir(), 'mm-page-bench-'));
  const now = Date.now();
  const jobs = jobsOf(home);
  const records = jobs.map((job, i) => {
    const ok = i % 7 !== 0;
    const start = now - ((i % 24) + 1) * HOUR;
    return {
      id: job.id,
      lastStarted: start,
      lastEnded: start + 60_000,
      lastExitCode: ok ? 0 : 23,
      lastSignal: null,
      lastOk: ok,
      lastDurationMs: 60_000,
      consecutiveFailures: ok ? 0 : 1 + (i % 5),
      ...(ok ? { lastSucceeded: start + 60_000 } : {}),
    };
  });
  await writeFile(
    join(home, 'mm.status.json'),
    `{"format":"mm.status.json/1","jobs":{\n${records.map((r) => `${JSON.stringify(r.id)}:${JSON.stringify(r)}`).join(',\n')}\n}}\n`,
  );
  await writeFile(
    join(home, 'mm.status'),
    formatStatusFile(records.map((r) => ({ kind: 'job', line: statusLineOf(r) }))),
  );
  const journal = [];
  for (let run = 0; run < RUNS; run++) {
    for (const [i, job] of jobs.entries()) {
      const start = now - (RUNS - run) * 8 * HOUR;
      const failed = (i + run) % 9 === 0;
      journal.push(
        formatJournalRun(job.id, {
          start,
          end: start + 1000 * (30 + (i % 600)),
          result: failed ? 'failed' : 'ok',
          exitCode: failed ? 23 : 0,
        }),
      );
    }
  }
  const text = journal.join('');
  await writeFile(join(home, 'mm.history.jsonl'), text);
  return { home, journalBytes: text.length };
}

if (process.env.MM_PAGE_BENCH_HOME) await measure(process.env.MM_PAGE_BENCH_HOME);
else {
  const { home, journalBytes } = await setUp();
  const rounds = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
        env: { ...process.env, MM_PAGE_BENCH_HOME: home },
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`round ${round} failed: ${r.stderr}`);
      rounds.push(JSON.parse(r.stdout));
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  const median = (key) => rounds.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  const ms = (key) => `${median(key).toFixed(0)} ms`.padStart(8);
  const mb = (key) => `${(rounds[0].sizes[key] / 1e6).toFixed(1)} MB`;
  console.log(
    `${JOBS} jobs, ${RUNS} runs each in the journal (${(journalBytes / 1e6).toFixed(1)} MB); median of ${ROUNDS} fresh processes:`,
  );
  console.log(`  read mm.status + mm.status.json    ${ms('status')}`);
  console.log(`  read mm.history.jsonl              ${ms('history')}`);
  console.log(`  statusSnapshot                     ${ms('snapshot')}`);
  console.log(`  renderStatusPage                   ${ms('page')}  (${mb('html')})`);
  console.log(
    `  files -> page, wall                ${ms('total')}  (${(median('total') / 1000).toFixed(2)}x the 1 s target)`,
  );
  console.log(
    `  files -> page, CPU of the process  ${ms('cpu')}  (${(median('cpu') / 1000).toFixed(2)}x the 1 s target)`,
  );
  console.log(
    `  read mm.history.jsonl with totals  ${ms('fullHistory')}  (for /metrics; mm serve re-reads it only when it changed)`,
  );
  console.log(`  formatMetrics                      ${ms('metrics')}  (${mb('metrics')})`);
  console.log(`  /jobs JSON                         ${ms('jobs')}  (${mb('json')})`);
}
