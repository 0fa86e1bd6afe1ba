// ctm_smail -q on a 64 MB delta against coreutils `base64 -w 72 | split` in the same run: throughput ratio.
// Run: npm run bench -- ctm-mail-smail (after npm run build). The delta is generated in a temp dir and removed.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
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
  const peer = [];
  const ours = [];
  let pieces = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const p = fresh('split');
    peer.push(time(() => execFileSync('sh', ['-c', `base64 -w 72 "${delta}" | split -b 64000 - "${p}/p."`])));
    const q = fresh('queue');
    ours.push(
      time(() => {
        const r = spawnSync(process.execPath, [ctmSmail, '-q', q, delta, 'ctm-list'], {
          stdio: ['ignore', 'ignore', 'ignore'],
        });
        if (r.status !== 0) throw new Error(`ctm_smail exited ${r.status}`);
      }),
    );
    pieces = readdirSync(q).length;
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mb = SIZE / 1024 / 1024;
  const peerRate = mb / median(peer);
  const ourRate = mb / median(ours);
  console.log(`delta: ${mb} MB; ctm_smail -q wrote ${pieces} pieces; medians of ${ROUNDS} runs`);
  console.log(`base64 -w 72 | split: ${median(peer).toFixed(3)} s (${peerRate.toFixed(0)} MB/s)`);
  console.log(`ctm_smail -q:         ${median(ours).toFixed(3)} s (${ourRate.toFixed(0)} MB/s)`);
  console.log(
    `ratio (ctm_smail / coreutils throughput): ${(ourRate / peerRate).toFixed(2)}x  (goal >= 0.5x; the C original: 0.37x)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
