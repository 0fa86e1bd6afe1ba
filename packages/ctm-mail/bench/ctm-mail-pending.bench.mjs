// ctm_rmail's cost per message against the number of deltas waiting for pieces (issue 14): the cost must not grow
// with it. For each number P of pending deltas (100, 1,000, 10,000; CTM_BENCH_PENDING=a,b,c to change), a piece
// directory is filled with piece 1/2 of P deltas (plus those the runs complete), then measured:
//  - mta: one ctm_rmail run per message on stdin, as an MTA delivers (each message completes a delta);
//  - mbox: one run over a mailbox of MBOX_MESSAGES messages (each completes a delta), per message, and the
//    child's peak RSS.
// The figure is the ratio of the per-message cost at the largest P to the smallest (goal: about 1.0x).
// Run: npm run bench -- ctm-mail-pending (after npm run build). Temp dirs are removed (kept with CTM_BENCH_KEEP=1).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitDelta } from '../dist/index.js';

const PENDING = (process.env.CTM_BENCH_PENDING ?? '100,1000,10000').split(',').map(Number);
const MTA_MESSAGES = Number(process.env.CTM_BENCH_MTA ?? 15);
const MBOX_MESSAGES = Number(process.env.CTM_BENCH_MBOX ?? 1000);
const ROUNDS = 3;
const ctmRmail = fileURLToPath(new URL('../../../apps/cli/bin/ctm_rmail.js', import.meta.url));
// The child reports its own CPU time and peak RSS as it exits: VmHWM, since getrusage's maxrss keeps the
// parent's high-water mark across exec (this parent holds every piece of 10,000 deltas).
const report =
  'data:text/javascript,import{readFileSync,writeSync}from"node:fs";process.on("exit",()=>{const u=process.resourceUsage();' +
  'const m=/VmHWM:\\s*(\\d+)/.exec(readFileSync("/proc/self/status","utf8"));' +
  'writeSync(2,"hwm "+(m||[0,0])[1]+" cpu "+(u.userCPUTime+u.systemCPUTime)+"\\n")})';

/** The two mail messages (pieces 1/2 and 2/2) of a small delta named `name`. */
async function twoPieces(name) {
  const data = Buffer.alloc(3000, name);
  let at = 0;
  const pieces = [];
  await splitDelta(
    {
      read: (n) => {
        const chunk = data.subarray(at, at + n);
        at += chunk.length;
        return chunk;
      },
    },
    { name, size: data.length, alias: 'ctm-bench', maxMessageSize: 2500 },
    () => {
      const parts = [];
      return {
        write: (b) => void parts.push(Buffer.from(b)),
        close: () => void pieces.push(Buffer.concat(parts)),
      };
    },
  );
  if (pieces.length !== 2) throw new Error(`expected 2 pieces, got ${pieces.length}`);
  return pieces;
}

const mbox = (messages) =>
  Buffer.concat(messages.flatMap((m) => [Buffer.from('From owner-ctm-bench Sat Nov 21 07:00:00 2026\n'), m]));

function rmail(dir, args, input, okStatus = 0) {
  const t = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    ['--import', report, ctmRmail, '-p', join(dir, 'pieces'), '-d', join(dir, 'deltas'), ...args],
    { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== okStatus) throw new Error(`ctm_rmail exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const [, hwm, cpu] = /hwm (\d+) cpu (\d+)/.exec(r.stderr) ?? [];
  return { seconds, cpu: Number(cpu) / 1e6, hwm: Number(hwm) / 1024 };
}

/** One measurement at `pending` deltas waiting, in a fresh directory. */
async function measure(pending, round) {
  const dir = mkdtempSync(join(tmpdir(), 'ctm-pending-bench-'));
  try {
    for (const d of ['pieces', 'deltas']) mkdirSync(join(dir, d));
    // The waiting pieces, put there by ctm_rmail itself (not timed), and the pieces that complete some of them.
    const firsts = [];
    const seconds = [];
    for (let i = 0; i < pending + MTA_MESSAGES + MBOX_MESSAGES; i++) {
      const [a, b] = await twoPieces(`bench-${round}.${String(i).padStart(6, '0')}`);
      firsts.push(a);
      if (i < MTA_MESSAGES + MBOX_MESSAGES) seconds.push(b);
    }
    writeFileSync(join(dir, 'setup'), mbox(firsts));
    rmail(dir, [join(dir, 'setup')]);
    const waiting = readdirSync(join(dir, 'pieces')).length;
    if (waiting !== firsts.length) throw new Error(`setup left ${waiting} pieces, not ${firsts.length}`);
    // As an MTA delivers: one run per message.
    const mta = { seconds: 0, cpu: 0, hwm: 0 };
    for (let i = 0; i < MTA_MESSAGES; i++) {
      const r = rmail(dir, [], seconds[i]);
      mta.seconds += r.seconds / MTA_MESSAGES;
      mta.cpu += r.cpu / MTA_MESSAGES;
      mta.hwm = Math.max(mta.hwm, r.hwm);
    }
    // A mailbox in one run, per message beyond the cost of a run over a mailbox without pieces.
    writeFileSync(join(dir, 'empty'), mbox([Buffer.from('From: x\n\nno delta here\n')]));
    const empty = rmail(dir, [join(dir, 'empty')], undefined, 1);
    writeFileSync(join(dir, 'mbox'), mbox(seconds.slice(MTA_MESSAGES)));
    const run = rmail(dir, [join(dir, 'mbox')]);
    const built = readdirSync(join(dir, 'deltas')).filter((f) => !f.startsWith('.')).length;
    if (built !== seconds.length) throw new Error(`built ${built} deltas, not ${seconds.length}`);
    const left = readdirSync(join(dir, 'pieces')).filter((f) => !f.startsWith('.')).length;
    if (left !== pending) throw new Error(`${left} pieces left, not ${pending}`);
    return {
      mta,
      mbox: {
        seconds: Math.max(0, run.seconds - empty.seconds) / MBOX_MESSAGES,
        cpu: Math.max(0, run.cpu - empty.cpu) / MBOX_MESSAGES,
        hwm: run.hwm,
      },
    };
  } finally {
    if (process.env.CTM_BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// The sizes alternate within each round, so that a change in the machine's load falls on all of them alike.
const samples = new Map(PENDING.map((p) => [p, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const pending of PENDING) samples.get(pending).push(await measure(pending, round));
}
const rows = PENDING.map((pending) => {
  const s = samples.get(pending);
  const pick = (mode, what) => median(s.map((x) => x[mode][what]));
  return {
    pending,
    mtaWall: pick('mta', 'seconds'),
    mtaCpu: pick('mta', 'cpu'),
    mtaHwm: Math.max(...s.map((x) => x.mta.hwm)),
    boxWall: pick('mbox', 'seconds'),
    boxCpu: pick('mbox', 'cpu'),
    boxHwm: Math.max(...s.map((x) => x.mbox.hwm)),
  };
});
console.log(
  `ctm_rmail per message, median of ${ROUNDS} rounds; mta: one run per message (${MTA_MESSAGES}), mbox: ` +
    `${MBOX_MESSAGES} messages in one run beyond an empty run; each message completes a delta; ratios against ${PENDING[0]} pending`,
);
console.log(
  '| pending deltas | mta wall ms | mta CPU ms | ratio (CPU) | mta peak RSS | mbox wall µs | mbox CPU µs | ratio (CPU) | mbox peak RSS |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
const [base] = rows;
for (const r of rows) {
  console.log(
    `| ${r.pending} | ${(r.mtaWall * 1e3).toFixed(1)} | ${(r.mtaCpu * 1e3).toFixed(1)} | ${(r.mtaCpu / base.mtaCpu).toFixed(2)}x | ` +
      `${r.mtaHwm.toFixed(0)} MB | ${(r.boxWall * 1e6).toFixed(0)} | ${(r.boxCpu * 1e6).toFixed(0)} | ` +
      `${(r.boxCpu / base.boxCpu).toFixed(2)}x | ${r.boxHwm.toFixed(0)} MB |`,
  );
}
console.log('goal: the ratios stay near 1.0x (the cost per message does not grow with the pending deltas)');
