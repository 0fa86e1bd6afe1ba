// Applying a ctm(5) delta that touches 10,000 files (8,000 edited, 1,000 removed, 1,000 added, among 4,000
// untouched) against `rsync -a --delete NEW/ COPY/` making the same change between two local trees, in the same run.
// Both start from a fresh copy of OLD (not timed) with a warm cache; median of ROUNDS. Needs `npx tsup` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyDeltaFile, writeDeltaFile } from '../dist/delta/node.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DIRS = 100;
const PER_DIR = 140; // 14,000 files in OLD
const cli = fileURLToPath(new URL('../../../apps/cli/bin/ctm.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ctm-bench-'));
const old = join(dir, 'old');
const neu = join(dir, 'new');
const delta = join(dir, 'bench.0001.gz');

const body = (d, f, extra = '') =>
  Array.from(
    { length: 40 },
    (_, l) => `dir ${d} file ${f} line ${l} ${l === 20 ? extra : ''}lorem ipsum dolor\n`,
  ).join('');

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
}

function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function timeAsync(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  for (let d = 0; d < DIRS; d++) {
    mkdirSync(join(old, `d${d}`), { recursive: true });
    for (let f = 0; f < PER_DIR; f++) writeFileSync(join(old, `d${d}`, `f${f}.c`), body(d, f));
  }
  sh('cp', ['-a', old, neu]); // unchanged files keep their mtimes, so rsync's quick check can skip them
  let touched = 0;
  for (let d = 0; d < DIRS; d++) {
    for (let f = 0; f < 80; f++) writeFileSync(join(neu, `d${d}`, `f${f}.c`), body(d, f, 'EDITED '));
    for (let f = 80; f < 90; f++) rmSync(join(neu, `d${d}`, `f${f}.c`));
    for (let f = 0; f < 10; f++) writeFileSync(join(neu, `d${d}`, `new${f}.c`), body(d, f, 'NEW '));
    touched += 100;
  }
  await writeDeltaFile(old, neu, delta, { name: 'bench', number: 1, date: new Date() });
  const size = readFileSync(delta).length;
  console.log(`delta: ${touched} files touched, ${(size / 1024).toFixed(0)} KiB gzip; ${ROUNDS} rounds`);

  const ours = [];
  const viaCli = [];
  const rsync = [];
  const contenders = [
    async (round) => {
      const a = join(dir, `a${round}`);
      sh('cp', ['-a', old, a]);
      globalThis.gc?.();
      ours.push(
        await timeAsync(async () => {
          const r = await applyDeltaFile(delta, a, { verbose: 0 });
          if (r.status !== 0) throw new Error(`apply failed: ${r.status}`);
        }),
      );
      if (
        readFileSync(join(a, 'd7/f3.c'), 'utf8') !== body(7, 3, 'EDITED ') ||
        existsSync(join(a, 'd7/f85.c'))
      ) {
        throw new Error('the delta did not make NEW');
      }
      rmSync(a, { recursive: true });
    },
    async (round) => {
      const b = join(dir, `b${round}`);
      sh('cp', ['-a', old, b]);
      rsync.push(time(() => sh('rsync', ['-a', '--delete', `${neu}/`, `${b}/`])));
      rmSync(b, { recursive: true });
    },
    async (round) => {
      if (!existsSync(cli)) return;
      const c = join(dir, `c${round}`);
      sh('cp', ['-a', old, c]);
      viaCli.push(time(() => sh(process.execPath, [cli, '-q', '-b', c, delta])));
      rmSync(c, { recursive: true });
    },
  ];
  // Rotate the order every round so that a busy moment of the machine does not always hit the same contender.
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < contenders.length; k++) await contenders[(round + k) % contenders.length](round);
  }
  const m = median(ours);
  const r = median(rsync);
  console.log(
    `applyDeltaFile (library): median ${(m * 1000).toFixed(0)} ms  ${(touched / m).toFixed(0)} files/s`,
  );
  if (viaCli.length) {
    const c = median(viaCli);
    console.log(
      `ctm -q DELTA (CLI, incl. node start): median ${(c * 1000).toFixed(0)} ms  ${(touched / c).toFixed(0)} files/s  ratio vs rsync ${(r / c).toFixed(2)}x`,
    );
  }
  console.log(
    `rsync -a --delete NEW/ COPY/: median ${(r * 1000).toFixed(0)} ms  ${(touched / r).toFixed(0)} files/s`,
  );
  console.log(`ratio (rsync time / ctm apply time): ${(r / m).toFixed(2)}x  (target >= 1x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
