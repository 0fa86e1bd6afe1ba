// The status page of a home with 10,000 jobs, each with a full history: the journal as the store leaves it at its
// largest (compacted, 10 runs per job on one line plus each job's totals, then run lines appended up to the point
// where the next append compacts it again: ~9.7 MB). How long from the files on disk to the HTML page (target:
// well under 1 s of CPU), and to /metrics and /jobs. Each of BENCH_ROUNDS (default 5) rounds runs in a fresh Node
// process and reads and parses every file; the median is printed. Wall time and the process's CPU time (user +
// system, all threads: process.cpuUsage) are both shown, with the load average: on a shared, loaded machine wall
// time also counts waiting for a core.
// End to end, when apps/cli is built: `mm --status --html FILE mm.conf` in that home, the whole command (Node's
// start-up included) against `node -e 0` measured in the same run as the floor; and `GET /` on `mm serve mm.conf`,
// the first (files read and parsed) and a later one (files unchanged), with the server's CPU time from /proc.
// There is no peer to compare with: tunasync has no page, mirmon's and archweb's are not per job.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatCompactedJournal,
  formatJournalRun,
  formatMetrics,
  parseJournal,
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
      const start = now - (RUNS + 3 - run) * 8 * HOUR;
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
  // Compacted as the store does, then run lines appended up to just under its next compaction (1.5 x + 64 KiB).
  let text = formatCompactedJournal(parseJournal(journal.join(''), 10).jobs);
  const limit = Buffer.byteLength(text) * 1.5 + 65_536;
  let size = Buffer.byteLength(text);
  const appended = [];
  fill: for (let run = RUNS; ; run++) {
    for (const [i, job] of jobs.entries()) {
      const start = now - (RUNS + 3 - run) * 8 * HOUR;
      const line = formatJournalRun(job.id, {
        start,
        end: start + 1000 * (30 + (i % 600)),
        result: (i + run) % 9 === 0 ? 'failed' : 'ok',
        exitCode: (i + run) % 9 === 0 ? 23 : 0,
      });
      if (size + line.length > limit) break fill;
      appended.push(line);
      size += line.length;
    }
  }
  text += appended.join('');
  await writeFile(join(home, 'mm.history.jsonl'), text);
  await writeFile(join(home, 'mm.conf'), `max=6\nmirror=true\n${jobs.map((j) => `${j.id} 8 1\n`).join('')}`);
  return { home, journalBytes: text.length, appended: appended.length };
}

const MM = fileURLToPath(new URL('../../../apps/cli/bin/mm.js', import.meta.url));
/** Prints, at exit, the CPU time of the whole process (start-up included) to the file named by BENCH_CPU_FILE. */
const CPU_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  "import { writeFileSync } from 'node:fs'; process.on('exit', () => { const u = process.cpuUsage(); writeFileSync(process.env.BENCH_CPU_FILE, String((u.user + u.system) / 1000)); });",
)}`;

/** Runs `node ARGS` in `cwd`: its wall time and its CPU time (ms), Node's start-up included. */
function timed(cwd, args) {
  const file = join(cwd, `.cpu-${process.pid}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', CPU_AT_EXIT, ...args], {
    cwd,
    env: { ...process.env, BENCH_CPU_FILE: file },
    encoding: 'utf8',
  });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return { wall, cpu: Number(readFileSync(file, 'utf8')) };
}

/** CPU time (ms) used so far by process `pid`, from /proc (Linux). */
function cpuOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks (100/s)
}

/** `mm --status --html` and `GET /` on `mm serve`, end to end, each against the floor `node -e 0`. */
async function endToEnd(home) {
  const rows = [];
  for (let round = 0; round < ROUNDS; round++) {
    const floor = timed(home, ['-e', '0']);
    const page = timed(home, [MM, '--status', '--html', join(home, 'status.html'), 'mm.conf']);
    rows.push({ floor, page });
  }
  const server = spawn(process.execPath, [MM, 'serve', '--listen', '127.0.0.1:0', 'mm.conf'], {
    cwd: home,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const gets = [];
  try {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
    });
    while (!/http:\/\/[^/]+\//.test(out)) await new Promise((r) => setTimeout(r, 20));
    const url = /http:\/\/[^/]+\//.exec(out)[0];
    for (let round = 0; round <= ROUNDS; round++) {
      await new Promise((r) => setTimeout(r, 1100)); // past the server's one-second snapshot cache
      const cpu = cpuOf(server.pid);
      const t0 = performance.now();
      const body = await (await fetch(url)).text();
      gets.push({ wall: performance.now() - t0, cpu: cpuOf(server.pid) - cpu, bytes: body.length });
    }
  } finally {
    server.kill('SIGTERM');
  }
  return { rows, gets };
}

if (process.env.MM_PAGE_BENCH_HOME) await measure(process.env.MM_PAGE_BENCH_HOME);
else {
  const { home, journalBytes, appended } = await setUp();
  const rounds = [];
  let e2e;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
        env: { ...process.env, MM_PAGE_BENCH_HOME: home },
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`round ${round} failed: ${r.stderr}`);
      rounds.push(JSON.parse(r.stdout));
    }
    if (existsSync(join(MM, '../../dist/run.js'))) e2e = await endToEnd(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  const median = (key) => rounds.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  const ms = (key) => `${median(key).toFixed(0)} ms`.padStart(8);
  const mb = (key) => `${(rounds[0].sizes[key] / 1e6).toFixed(1)} MB`;
  console.log(
    `${JOBS} jobs; journal ${(journalBytes / 1e6).toFixed(1)} MB (10 runs per job compacted + ${appended} run lines appended); median of ${ROUNDS} fresh processes; load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}:`,
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
  if (!e2e) {
    console.log('  (end to end skipped: apps/cli is not built)');
  } else {
    const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const f = (n) => `${n.toFixed(0)} ms`.padStart(8);
    const floorCpu = mid(e2e.rows.map((r) => r.floor.cpu));
    const pageCpu = mid(e2e.rows.map((r) => r.page.cpu));
    const floorWall = mid(e2e.rows.map((r) => r.floor.wall));
    const pageWall = mid(e2e.rows.map((r) => r.page.wall));
    console.log(
      `end to end (median of ${ROUNDS}; load average ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}):`,
    );
    console.log(`  node -e 0 (the floor)              ${f(floorCpu)} CPU ${f(floorWall)} wall`);
    console.log(
      `  mm --status --html FILE            ${f(pageCpu)} CPU ${f(pageWall)} wall  (${(pageCpu / 1000).toFixed(2)}x the 1 s target in CPU; ${f(pageCpu - floorCpu)} CPU over the floor)`,
    );
    const [first, ...later] = e2e.gets;
    console.log(
      `  GET / on mm serve, first           ${f(first.cpu)} CPU ${f(first.wall)} wall  (${(first.bytes / 1e6).toFixed(1)} MB; server CPU from /proc, 10 ms ticks)`,
    );
    console.log(
      `  GET / on mm serve, files unchanged ${f(mid(later.map((g) => g.cpu)))} CPU ${f(mid(later.map((g) => g.wall)))} wall`,
    );
  }
}
