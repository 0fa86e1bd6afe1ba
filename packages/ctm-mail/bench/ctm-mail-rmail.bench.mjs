// ctm_rmail over a 256 MB mbox holding 20 deltas among ordinary mail: throughput and peak RSS.
// Run: npm run bench -- ctm-mail-rmail (after npm run build); CTM_BENCH_MB=N sets the mbox size (default 256).
// The mbox is generated in a temp dir and removed (kept with CTM_BENCH_KEEP=1).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitDelta } from '../dist/index.js';

const TOTAL = Number(process.env.CTM_BENCH_MB ?? 256) * 1024 * 1024;
const DELTAS = 20;
const DELTA_SIZE = 2 * 1024 * 1024;
const ROUNDS = 3;
const ctmRmail = fileURLToPath(new URL('../../../apps/cli/bin/ctm_rmail.js', import.meta.url));

let seed = 12345;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const words =
  'the a of to and in is it you that he was for on are with as his they be at one have this from or had by hot word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find'.split(
    ' ',
  );

function ordinaryMail(size, i) {
  const lines = [
    `From person${i}@example.org Sat Nov 21 07:${String(i % 60).padStart(2, '0')}:00 2026`,
    `From: Person ${i} <person${i}@example.org>`,
    'To: list@example.org',
    `Subject: note ${i}`,
    `Message-ID: <${i}@example.org>`,
  ];
  const kind = i % 10;
  if (kind === 0)
    lines.push(
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
    );
  if (kind === 1) lines.push('MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="b1"');
  lines.push('');
  if (kind === 1) lines.push('--b1', 'Content-Type: text/plain', '');
  let body = 0;
  while (body < size) {
    let line = '';
    while (line.length < 66) line += `${words[Math.floor(random() * words.length)]} `;
    if (random() < 0.01) line = `>From the archives: ${line}`;
    lines.push(line.trimEnd());
    body += line.length;
  }
  if (kind === 1) lines.push('--b1--');
  lines.push('', '');
  return lines.join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'ctm-rmail-bench-'));
try {
  const mbox = join(dir, 'mbox');
  const fd = openSync(mbox, 'w');
  const pieces = [];
  for (let d = 1; d <= DELTAS; d++) {
    const data = randomBytes(DELTA_SIZE);
    let at = 0;
    await splitDelta(
      {
        read: (n) => {
          const chunk = data.subarray(at, at + n);
          at += chunk.length;
          return chunk;
        },
      },
      { name: `src-cur.${String(d).padStart(4, '0')}.gz`, size: data.length, alias: 'ctm-list' },
      () => {
        const parts = [];
        return {
          write: (b) => void parts.push(Buffer.from(b)),
          close: () => void pieces.push(Buffer.concat(parts)),
        };
      },
    );
  }
  const pieceBytes = pieces.reduce((n, p) => n + p.length, 0);
  const mailBytes = TOTAL - pieceBytes;
  const perPiece = mailBytes / pieces.length;
  let i = 0;
  for (const piece of pieces) {
    // Ordinary mail between the pieces, in messages of 2 to 60 kB.
    let quota = perPiece;
    while (quota > 1000) {
      const m = Buffer.from(ordinaryMail(Math.min(quota, 2000 + random() * 58_000), i++));
      writeSync(fd, m);
      quota -= m.length;
    }
    writeSync(fd, Buffer.from(`From owner-ctm-list Sat Nov 21 07:00:00 2026\n`));
    writeSync(fd, piece);
    writeSync(fd, Buffer.from('\n'));
  }
  fsyncSync(fd); // no writeback of the mbox may compete with the runs
  closeSync(fd);
  const size = statSync(mbox).size;
  // The child reports its own peak RSS and CPU time as it exits.
  const rss =
    'data:text/javascript,import{writeSync}from"node:fs";process.on("exit",()=>{const u=process.resourceUsage();' +
    'writeSync(2,"maxrss "+u.maxRSS+" cpu "+(u.userCPUTime+u.systemCPUTime)+"\\n")})';
  const results = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const d of ['pieces', 'deltas']) {
      rmSync(join(dir, d), { recursive: true, force: true });
      mkdirSync(join(dir, d));
    }
    const t = process.hrtime.bigint();
    const r = spawnSync(
      process.execPath,
      ['--import', rss, ctmRmail, '-p', join(dir, 'pieces'), '-d', join(dir, 'deltas'), mbox],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.status !== 0)
      throw new Error(
        `ctm_rmail exited ${r.status}: ${r.stderr
          .split('\n')
          .filter((l) => !/ stored$| complete$/.test(l))
          .join('\n')
          .slice(0, 3000)}`,
      );
    const built = readdirSync(join(dir, 'deltas')).filter((f) => !f.startsWith('.')).length;
    if (built !== DELTAS) throw new Error(`ctm_rmail built ${built} deltas, not ${DELTAS}`);
    const [, rssKb, cpuUs] = /maxrss (\d+) cpu (\d+)/.exec(r.stderr) ?? [];
    results.push({ seconds, maxRss: Number(rssKb) / 1024, cpu: Number(cpuUs) / 1e6 });
  }
  const best = results.map((r) => r.seconds).sort((a, b) => a - b);
  const median = best[Math.floor(best.length / 2)];
  const mb = size / 1024 / 1024;
  console.log(
    `mbox: ${mb.toFixed(0)} MB, ${i + pieces.length} messages, ${pieces.length} pieces of ${DELTAS} deltas (${(pieceBytes / 1024 / 1024).toFixed(0)} MB)`,
  );
  console.log(
    `ctm_rmail: median ${median.toFixed(3)} s over ${ROUNDS} runs = ${(mb / median).toFixed(0)} MB/s (goal >= 200 MB/s; the C original ~400 MB/s)`,
  );
  const cpu = results.map((r) => r.cpu).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  console.log(
    `ctm_rmail CPU time (user+system): median ${cpu.toFixed(3)} s = ${(mb / cpu).toFixed(0)} MB/s of CPU`,
  );
  console.log(`peak RSS: ${Math.max(...results.map((r) => r.maxRss)).toFixed(0)} MB (goal <= 150 MB)`);
} finally {
  if (process.env.CTM_BENCH_KEEP) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
