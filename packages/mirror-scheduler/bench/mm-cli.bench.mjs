// The `mm` command end to end against `xargs -P 6`: `mm -t CONF` (apps/cli's built bin, with its per-job locks,
// mm.status and the run history) over a generated configuration of N jobs of `true` at max=6, against
// `seq N | xargs -P 6 -I{} sh -c 'exec true'`, measured in the same run, alternating (xargs, mm, xargs, mm...).
// Each side runs under /usr/bin/time, which gives its wall time and peak RSS (the largest of the process tree's
// members). Sizes: 600 and 10,000 jobs; BENCH_50K=1 adds 50,000. BENCH_ROUNDS=N rounds (default 3 at 600, 1 above).
// Targets (issue 14): mm/xargs <= 1.2x at 600 (aim 1.1x), <= 1.3x at 10,000 and 50,000; mm's peak RSS at 50,000
// <= 150 MB. The machine's load average is printed: on a shared machine compare ratios, not times.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MM = fileURLToPath(new URL('../../../apps/cli/bin/mm.js', import.meta.url));
const TIME = '/usr/bin/time';
const MAX = 6;
const SIZES = [600, 10_000, ...(process.env.BENCH_50K ? [50_000] : [])];

if (!existsSync(join(MM, '../../dist/run.js'))) {
  console.log(`skipped: build apps/cli first (npm run build); ${MM} needs its dist/`);
  process.exit(0);
}
if (!existsSync(TIME)) {
  console.log(`skipped: ${TIME} is missing (Debian package "time")`);
  process.exit(0);
}

/** Runs argv under /usr/bin/time in `cwd`; resolves to its wall ms and peak RSS in KB. */
async function timed(argv, cwd) {
  const out = join(cwd, '.time');
  await new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-o', out, '-f', '%e %M', ...argv], {
      cwd,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}`)),
    );
  });
  const [wall, rss] = (await readFile(out, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
  return { wall: wall * 1000, rss };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const root = await mkdtemp(join(tmpdir(), 'mm-cli-bench-'));
try {
  console.log(`load average at start: ${load()} (2 cores shared: compare ratios, not times)`);
  for (const n of SIZES) {
    const home = join(root, `home-${n}`);
    await rm(home, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(home, { recursive: true }));
    const lines = [`home=${home}`, `max=${MAX}`, 'mirror=true'];
    for (let i = 1; i <= n; i++) lines.push(`s:p${i} 0 0`);
    await writeFile(join(home, 'conf'), `${lines.join('\n')}\n`);
    const rounds = Number(process.env.BENCH_ROUNDS ?? (n > 600 ? 1 : 3));
    const runs = { xargs: [], mm: [] };
    for (let round = 0; round < rounds; round++) {
      runs.xargs.push(await timed(['sh', '-c', `seq ${n} | xargs -P ${MAX} -I{} sh -c 'exec true'`], home));
      runs.mm.push(await timed([process.execPath, MM, '-t', 'conf'], home));
    }
    const x = median(runs.xargs.map((r) => r.wall));
    const m = median(runs.mm.map((r) => r.wall));
    const ratios = runs.mm.map((r, i) => (r.wall / runs.xargs[i].wall).toFixed(2)).join(', ');
    const rss = (list) => `${(Math.max(...list.map((r) => r.rss)) / 1024).toFixed(0)} MB`;
    const target = n <= 600 ? '<= 1.2x (aim 1.1x)' : '<= 1.3x';
    console.log(`${n} jobs of \`true\`, max ${MAX}, ${rounds} alternating round(s); load ${load()}`);
    console.log(`  xargs -P ${MAX}: ${x.toFixed(0)} ms, peak RSS ${rss(runs.xargs)}`);
    console.log(
      `  mm -t:     ${m.toFixed(0)} ms, peak RSS ${rss(runs.mm)}; ${(m / x).toFixed(2)}x xargs (rounds: ${ratios}; target ${target})`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
