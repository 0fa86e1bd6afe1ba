// The scheduler against `xargs -P 6`: N jobs that each run `true` through `sh -c`, at most 6 at once, measured in
// the same run, alternating (xargs, scheduler, scheduler + status files, xargs, ...). "scheduler" keeps its
// status records in memory (what xargs keeps: nothing); "+ status files" keeps them in mm.status +
// mm.status.json like mm does. Reports wall-time ratios to xargs (target <= 1.5x) and the scheduler's own CPU
// time per job (user + system of this process; the children's time is not included). BENCH_ROUNDS=N (default 5).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStatusStore, runJobs } from '../dist/index.js';
import { shellExecutor, statusFileStore } from '../dist/node/index.js';

const SIZES = [600, 1000];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MAX = 6;

function xargs(n) {
  return new Promise((resolve, reject) => {
    const child = spawn('xargs', ['-P', String(MAX), '-n', '1', '--', 'sh', '-c', 'true'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xargs exited ${code}`))));
    child.stdin.end('mm\n'.repeat(n));
  });
}

async function scheduler(n, home, files) {
  const jobs = Array.from({ length: n }, (_, i) => ({ id: `bench:job${i}`, command: 'true', cwd: home }));
  const summary = await runJobs(jobs, {
    max: MAX,
    executor: shellExecutor({ output: 'ignore' }),
    store: files ? statusFileStore({ home }) : createMemoryStatusStore(),
  }).summary;
  if (summary.succeeded !== n) throw new Error(`only ${summary.succeeded} of ${n} jobs succeeded`);
}

async function timed(fn) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const home = await mkdtemp(join(tmpdir(), 'mm-bench-'));
try {
  await scheduler(50, home, true); // warm up (JIT, first fork)
  await xargs(50);
  for (const n of SIZES) {
    const runs = { xargs: [], memory: [], files: [] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.xargs.push(await timed(() => xargs(n)));
      runs.memory.push(await timed(() => scheduler(n, home, false)));
      runs.files.push(await timed(() => scheduler(n, home, true)));
    }
    const x = median(runs.xargs.map((r) => r.wall));
    const line = (name, list) => {
      const wall = median(list.map((r) => r.wall));
      const cpu = (median(list.map((r) => r.cpu)) / n) * 1000;
      return `  ${name}: ${wall.toFixed(0)} ms, ${(wall / x).toFixed(2)}x xargs, own CPU ${cpu.toFixed(0)} µs/job`;
    };
    console.log(
      `${n} jobs of \`true\`, max ${MAX} (median of ${ROUNDS} alternating rounds; target <= 1.5x xargs)`,
    );
    console.log(`  xargs -P ${MAX}: ${x.toFixed(0)} ms`);
    console.log(line('scheduler', runs.memory));
    console.log(line('scheduler + status files', runs.files));
  }
} finally {
  await rm(home, { recursive: true, force: true });
}
