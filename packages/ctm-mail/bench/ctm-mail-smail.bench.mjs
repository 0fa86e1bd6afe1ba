// ctm_smail -q on a 64 MB delta against coreutils `base64 -w 72 | split` in the same run: throughput ratio.
// Run: npm run bench -- ctm-mail-smail (after npm run build). The delta is generated in a temp dir and removed.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZE = 64 * 1024 * 1024;
const ROUNDS = 5;
const ctmSmail = fileURLToPath(new URL('../../../apps/cli/bin/ctm_smail.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'ctm-smail-bench-'));
try {
  const delta = join(dir, 'src-cur.0001.gz');
  // Written and synced before timing, so that no writeback of it competes with the runs.
  const fd = openSync(delta, 'w');
  for (let at = 0; at < SIZE; at += 1 << 24) writeSync(fd, randomBytes(1 << 24));
  fsyncSync(fd);
  closeSync(fd);
  const time = (fn) => {
    const t = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t) / 1e9;
  };
  const fresh = (name) => {
    const out = join(dir, name);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    return out;
  };
  // With GNU time(1) the CPU time (user+system) of each side is reported too: on a busy machine wall time
  // mostly measures the wait for a CPU.
  const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const measure = (command, args) => {
    const argv = gnuTime ? ['-f', 'cpu %U %S', command, ...args] : args;
    let cpu = Number.NaN;
    const seconds = time(() => {
      const r = spawnSync(gnuTime ?? command, argv, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${command} exited ${r.status}: ${r.stderr}`);
      const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
      if (m) cpu = Number(m[1]) + Number(m[2]);
    });
    return { seconds, cpu };
  };
  const peer = [];
  const ours = [];
  let pieces = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const p = fresh('split');
    peer.push(measure('sh', ['-c', `base64 -w 72 "${delta}" | split -b 64000 - "${p}/p."`]));
    const q = fresh('queue');
    ours.push(measure(process.execPath, [ctmSmail, '-q', q, delta, 'ctm-list']));
    pieces = readdirSync(q).length;
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mb = SIZE / 1024 / 1024;
  const peerWall = median(peer.map((r) => r.seconds));
  const ourWall = median(ours.map((r) => r.seconds));
  console.log(`delta: ${mb} MB; ctm_smail -q wrote ${pieces} pieces; medians of ${ROUNDS} interleaved runs`);
  console.log(`base64 -w 72 | split: ${peerWall.toFixed(3)} s (${(mb / peerWall).toFixed(0)} MB/s)`);
  console.log(`ctm_smail -q:         ${ourWall.toFixed(3)} s (${(mb / ourWall).toFixed(0)} MB/s)`);
  console.log(
    `ratio (ctm_smail / coreutils throughput): ${(peerWall / ourWall).toFixed(2)}x  (goal >= 0.5x; the C original: 0.37x)`,
  );
  if (gnuTime) {
    const peerCpu = median(peer.map((r) => r.cpu));
    const ourCpu = median(ours.map((r) => r.cpu));
    console.log(
      `CPU time (user+system): coreutils ${peerCpu.toFixed(2)} s, ctm_smail ${ourCpu.toFixed(2)} s, ratio ${(peerCpu / ourCpu).toFixed(2)}x`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
