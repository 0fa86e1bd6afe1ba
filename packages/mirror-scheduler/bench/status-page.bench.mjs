// The status page of a home with 10,000 jobs, each with 20 runs of history (200,000 journal lines, ~17 MB):
// how long from the files on disk to the HTML page (target < 1 s), and to /metrics and /jobs. Median of
// BENCH_ROUNDS (default 5) rounds; each round uses fresh stores, so the files are read and parsed every time.
// Wall time and this process's CPU time (user + system) are both printed: on a shared, loaded machine the
// wall time also counts waiting for a core.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatJournalRun,
  formatMetrics,
  formatStatusFile,
  renderStatusPage,
  statusLineOf,
  statusSnapshot,
  tunasyncJobs,
} from '../dist/index.js';
import { historyFileStore, statusFileStore } from '../dist/node/index.js';

const JOBS = 10_000;
const RUNS = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HOUR = 3_600_000;
const now = Date.now();

const home = await mkdtemp(join(tmpdir(), 'mm-page-bench-'));
const jobs = Array.from({ length: JOBS }, (_, i) => ({
  id: `site${i % 50}.example.org:package-${i}`,
  command: 'true',
  cwd: home,
  retryAfterSuccess: 8 * HOUR,
  retryAfterFailure: HOUR,
}));
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
const journalBytes = journal.reduce((n, line) => n + line.length, 0);
await writeFile(join(home, 'mm.history.jsonl'), journal.join(''));
journal.length = 0; // what the page's process would not hold

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = { read: [], snapshot: [], page: [], metrics: [], jobs: [] };
const cpuToPage = [];
let sizes;
for (let round = 0; round < ROUNDS; round++) {
  globalThis.gc?.();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const store = statusFileStore({ home });
  const history = historyFileStore({ home });
  await store.readAll(home);
  await history.readHome(home);
  const t1 = performance.now();
  const snapshot = await statusSnapshot(jobs, { store, history });
  const t2 = performance.now();
  const html = renderStatusPage(snapshot);
  const t3 = performance.now();
  const used = process.cpuUsage(cpu);
  cpuToPage.push((used.user + used.system) / 1000);
  const metrics = formatMetrics(snapshot);
  const t4 = performance.now();
  const json = JSON.stringify(tunasyncJobs(snapshot));
  const t5 = performance.now();
  times.read.push(t1 - t0);
  times.snapshot.push(t2 - t1);
  times.page.push(t3 - t2);
  times.metrics.push(t4 - t3);
  times.jobs.push(t5 - t4);
  sizes = { html: html.length, metrics: metrics.length, json: json.length };
}
await rm(home, { recursive: true, force: true });

const ms = (x) => `${x.toFixed(0)} ms`;
const toPage = median(times.read.map((r, i) => r + times.snapshot[i] + times.page[i]));
console.log(
  `${JOBS} jobs, ${RUNS} runs each (journal ${(journalBytes / 1e6).toFixed(1)} MB), median of ${ROUNDS}:`,
);
console.log(`  read mm.status(.json) + mm.history.jsonl  ${ms(median(times.read))}`);
console.log(`  statusSnapshot                           ${ms(median(times.snapshot))}`);
console.log(
  `  renderStatusPage                         ${ms(median(times.page))}  (${(sizes.html / 1e6).toFixed(1)} MB)`,
);
console.log(
  `  files -> page                            ${ms(toPage)}  (target < 1000 ms: ${(toPage / 1000).toFixed(2)}x of it)`,
);
console.log(
  `  files -> page, CPU time of this process ${ms(median(cpuToPage))}  (the wall time above includes waiting for a core on a loaded machine)`,
);
console.log(
  `  formatMetrics                            ${ms(median(times.metrics))}  (${(sizes.metrics / 1e6).toFixed(1)} MB)`,
);
console.log(
  `  /jobs JSON                               ${ms(median(times.jobs))}  (${(sizes.json / 1e6).toFixed(1)} MB)`,
);
