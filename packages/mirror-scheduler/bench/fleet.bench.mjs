// The fleet against single-host mm, in the same run: 600 jobs of `true`, limit 6. Single host: the real `mm`
// (apps/cli) on a config of 600 job lines (status files and job locks included). Fleet: the same config planned by
// enqueueDueJobs into pg-boss on a local PostgreSQL (started here, as in the tests), run by 2 worker processes
// (3 jobs at once each; the fleet's global limit is the config's max=6). Wall time from the start of the plan to
// the last recorded end, and the database statements (round trips) per job. Needs Node >= 22.12 and PostgreSQL.
//   cd packages/mirror-scheduler && npx -y node@24 bench/fleet.bench.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.log(
    `skipped: pg-boss 12 needs Node >= 22.12 (this is ${process.version}); run: npx -y node@24 bench/fleet.bench.mjs`,
  );
  process.exit(0);
}
const { TestPostgres, postgresBin } = await import('../test/fleet/postgres.ts');
if (!postgresBin()) {
  console.log('skipped: PostgreSQL server binaries not found (apt-get install postgresql)');
  process.exit(0);
}
const { nodeConfigHost } = await import('../dist/node/index.js');
const { loadConfig } = await import('../dist/mm/index.js');
const { connectFleet, enqueueDueJobs } = await import('../dist/pg-boss/index.js');

const JOBS = Number(process.env.JOBS ?? 600);
const mmBin = fileURLToPath(new URL('../../../apps/cli/bin/mm.js', import.meta.url));
const dist = new URL('../dist/pg-boss/index.js', import.meta.url).href;
const home = mkdtempSync(join(tmpdir(), 'mm-fleet-bench-'));
const config = [
  'max=6',
  'mirror=true',
  ...Array.from({ length: JOBS }, (_, i) => `site${i % 3}:p${i} 0 0`),
  '',
].join('\n');
writeFileSync(join(home, 'mm.conf'), config);
const pg = await TestPostgres.create();

const workerScript = `
  const { connectFleet, runFleetWorker, fleetExecutor } = await import(${JSON.stringify(dist)});
  const fleet = await connectFleet({ url: process.argv[1] });
  const s = await runFleetWorker(fleet, { max: 3, exitWhenIdle: true, pollMs: 50, executor: fleetExecutor({ output: 'ignore', forkHelper: process.env.FORK_HELPER !== '0' }) });
  await fleet.close();
  process.stdout.write(JSON.stringify(s));
`;

async function fleetRun(round) {
  const fleet = await connectFleet({ url: pg.url, schema: `bench${round}`, queue: `bench${round}` });
  await fleet.close();
  const begun = performance.now();
  const planner = await connectFleet({ url: pg.url, schema: `bench${round}`, queue: `bench${round}` });
  const plan = await loadConfig([{ name: 'mm.conf', text: config }], nodeConfigHost, { home });
  const before = planner.db.roundTrips;
  const summary = await enqueueDueJobs(planner, plan.steps);
  const planTrips = planner.db.roundTrips - before;
  await planner.close();
  // the workers use the default schema/queue names: point them at this round's
  const workers = await Promise.all([0, 1].map(() => runWorkerIn(`bench${round}`)));
  const ms = performance.now() - begun;
  const ran = workers.reduce((n, w) => n + w.started, 0);
  if (summary.queued.length !== JOBS || ran !== JOBS)
    throw new Error(`queued ${summary.queued.length}, ran ${ran}`);
  const workerTrips = workers.reduce((n, w) => n + w.roundTrips, 0);
  return { ms, planTrips, workerTrips };
}
function runWorkerIn(schema) {
  const script = workerScript.replace(
    '{ url: process.argv[1] }',
    `{ url: process.argv[1], schema: ${JSON.stringify(schema)}, queue: ${JSON.stringify(schema)} }`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, pg.url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}`)),
    );
  });
}

function singleHost() {
  rmSync(join(home, 'mm.status'), { force: true });
  rmSync(join(home, 'mm.status.json'), { force: true });
  const begun = performance.now();
  const r = spawnSync(process.execPath, [mmBin, '--quiet', 'mm.conf'], { cwd: home, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mm exited ${r.status}: ${r.stderr}`);
  return performance.now() - begun;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const mm = [];
const fleet = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    mm.push(singleHost());
    fleet.push(await fleetRun(round));
  }
} finally {
  await pg.destroy();
  rmSync(home, { recursive: true, force: true });
}
const mmMs = median(mm);
const fleetMs = median(fleet.map((f) => f.ms));
const last = fleet.at(-1);
console.log(
  `${JOBS} jobs of true, limit 6; median of ${ROUNDS} rounds, alternating (Node ${process.version})`,
);
console.log(
  `single-host mm:        ${mmMs.toFixed(0)} ms  (${((mmMs / JOBS) * 1000).toFixed(0)} µs per job)`,
);
console.log(
  `fleet, 2 workers:      ${fleetMs.toFixed(0)} ms  (${((fleetMs / JOBS) * 1000).toFixed(0)} µs per job)`,
);
console.log(
  `ratio fleet / mm:      ${(fleetMs / mmMs).toFixed(2)}×; the engine adds ${(((fleetMs - mmMs) / JOBS) * 1000).toFixed(0)} µs of wall time per job`,
);
console.log(
  `database round trips:  ${(last.planTrips / JOBS).toFixed(1)} per job to plan, ${(last.workerTrips / JOBS).toFixed(1)} per job to run (claim, pid, end, heartbeats and polls included)`,
);
