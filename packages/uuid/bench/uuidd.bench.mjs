// Our uuidd against util-linux's, same load client, same machine, one run.
// The load client (uuidd-load.c, compiled here into a temp dir) opens one connection per request, as libuuid
// does; 4 client processes run at once; the two daemons take turns (alternating which goes first) so that both
// see the same background load. Figures: requests per second (time, random) and UUIDs per second (bulk random of
// 63 per reply), and our ratio to util-linux. Each scenario starts with one uncounted second of load per daemon.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const THEIR_UUIDD = '/usr/sbin/uuidd';
const OUR_UUIDD = join(import.meta.dirname, '../../../apps/cli/bin/uuidd.js');
const CLIENTS = 4;
const SECONDS = Number(process.env.UUIDD_BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.UUIDD_BENCH_ROUNDS ?? 8);
// UUIDD_BENCH_WORKERS=N runs our daemon with --workers N (default: its own default, one process).
// UUIDD_NO_FAST_PATH=1 (inherited by our daemon) serves on a net.Socket per connection instead of Node's internal
// stream handles, to compare the two paths.

if (!existsSync(THEIR_UUIDD)) {
  console.log(`skipped: ${THEIR_UUIDD} is not installed (Debian package uuid-runtime)`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'uuidd-bench-'));
const daemons = [];

function answers(socket) {
  return new Promise((resolve) => {
    const s = connect(socket, () => s.end(Uint8Array.of(0)));
    s.on('data', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function start(name, command, args, socket) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  daemons.push(child);
  const deadline = Date.now() + 15_000;
  while (!(await answers(socket))) {
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, socket };
}

/** Runs CLIENTS load processes for `seconds`; resolves to { requests, uuids, failures } summed. */
function load(client, socket, op, count, seconds = SECONDS) {
  const runs = Array.from(
    { length: CLIENTS },
    () =>
      new Promise((resolve, reject) => {
        const child = spawn(client, [socket, String(op), String(count), String(seconds)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.on('error', reject);
        child.on('close', () => {
          const [requests, uuids, failures] = out.trim().split(' ').map(Number);
          resolve({ requests, uuids, failures });
        });
      }),
  );
  return Promise.all(runs).then((all) =>
    all.reduce((a, b) => ({
      requests: a.requests + b.requests,
      uuids: a.uuids + b.uuids,
      failures: a.failures + b.failures,
    })),
  );
}

try {
  const client = join(dir, 'uuidd-load');
  execFileSync('gcc', ['-O2', '-o', client, join(import.meta.dirname, 'uuidd-load.c')]);
  // Our daemon runs with this node and the Node flags of its #! line (`#!/usr/bin/env -S node FLAGS`), as it runs when
  // started as a command.
  const shebang = readFileSync(OUR_UUIDD, 'utf8').split('\n', 1)[0];
  const nodeFlags = /^#!\/usr\/bin\/env -S node (.*)$/.exec(shebang)?.[1]?.split(' ') ?? [];
  const ours = await start(
    'ours',
    process.execPath,
    [
      ...nodeFlags,
      OUR_UUIDD,
      '-F',
      '-P',
      '-s',
      join(dir, 'ours.sock'),
      '--clock-file',
      join(dir, 'clock.txt'),
      ...(process.env.UUIDD_BENCH_WORKERS ? ['--workers', process.env.UUIDD_BENCH_WORKERS] : []),
    ],
    join(dir, 'ours.sock'),
  );
  const theirs = await start(
    'util-linux',
    THEIR_UUIDD,
    ['-F', '-P', '-s', join(dir, 'theirs.sock'), '-T', '600'],
    join(dir, 'theirs.sock'),
  );
  const scenarios = [
    { title: 'single time (op 2), requests/s', op: 2, count: 0, unit: 'requests', target: 1.2 },
    { title: 'single random (op 3), requests/s', op: 3, count: 0, unit: 'requests', target: 1.2 },
    { title: 'bulk random (op 5, 63 per reply), UUIDs/s', op: 5, count: 63, unit: 'uuids', target: 2 },
  ];
  console.log(
    `${CLIENTS} client processes, one connection per request, ${ROUNDS} alternating rounds of ${SECONDS} s per daemon\n`,
  );
  let failed = 0;
  for (const scenario of scenarios) {
    const totals = new Map([
      [ours.name, 0],
      [theirs.name, 0],
    ]);
    // Warm-up, not counted: a daemon that has run for a while has its code compiled and its caches filled.
    for (const daemon of [ours, theirs]) await load(client, daemon.socket, scenario.op, scenario.count, 1);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [ours, theirs] : [theirs, ours];
      for (const daemon of order) {
        const result = await load(client, daemon.socket, scenario.op, scenario.count);
        if (result.failures > 0) console.log(`  ${daemon.name}: ${result.failures} failed requests`);
        totals.set(daemon.name, totals.get(daemon.name) + result[scenario.unit]);
      }
    }
    const rate = (name) => totals.get(name) / (ROUNDS * SECONDS);
    const ratio = rate(ours.name) / rate(theirs.name);
    const verdict = ratio >= scenario.target ? 'ok' : 'BELOW TARGET';
    if (ratio < scenario.target) failed++;
    console.log(
      `${scenario.title.padEnd(44)} ours ${Math.round(rate(ours.name)).toString().padStart(9)}  util-linux ${Math.round(
        rate(theirs.name),
      )
        .toString()
        .padStart(9)}  ratio ${ratio.toFixed(2)}x (target >= ${scenario.target}x: ${verdict})`,
    );
  }
  // Resident memory after the load, summed over each daemon's processes (ours: the daemon and any --workers).
  const rss = (pid) => {
    const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    const own = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return kids.reduce((sum, kid) => sum + rss(Number(kid)), own);
  };
  const [ourRss, theirRss] = daemons.map((child) => rss(child.pid) / 1024);
  const rssOk = ourRss <= 60;
  if (!rssOk) failed++;
  console.log(
    `${'resident memory after the load, all processes'.padEnd(44)} ours ${ourRss.toFixed(1).padStart(7)} MB  util-linux ${theirRss
      .toFixed(1)
      .padStart(7)} MB  (target ours <= 60 MB: ${rssOk ? 'ok' : 'ABOVE TARGET'})`,
  );
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (failed > 0) console.log(`\n${failed} figure(s) below target on this run`);
} finally {
  for (const daemon of daemons) daemon.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  rmSync(dir, { recursive: true, force: true });
}
