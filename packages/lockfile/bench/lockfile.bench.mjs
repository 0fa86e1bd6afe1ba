// @suite/lockfile against proper-lockfile, measured in the same run, reported as ratios:
// - uncontended: acquire + release of one lock in a loop, one process; with the default asynchronous file-system
//   port and with the opt-in synchronous one (nodeBlockingFileSystem); realpath off on both sides;
// - contended: 4 processes running critical sections (read a counter file, write it back plus one) on one lock
//   for the same 2 s window; lost updates are counted (the counter must equal the sections run).
// - shared locks (proper-lockfile has none): uncontended shared acquire + release, against proper-lockfile's
//   exclusive lock (what its users take instead); 4 processes taking shared locks to read the counter, against our
//   exclusive contended rate (what sharing gains).
// - the floor: a bare loop of `await symlink(record, p + '.lock'); await unlink(p + '.lock')` (two trips through
//   libuv's thread pool per cycle, the least any asynchronous lock can do) and the same with the `readlink` our
//   release makes first (three trips, what a lock that never removes another's does), with a record as short as ours.
// Rounds alternate between the two libraries and the median round counts, so that load from other work on the
// machine hits both alike. BENCH_DIR picks the directory (default: the OS temp dir).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readlink, rmSync, symlink, unlink, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';
import { createLocker } from '../dist/index.js';
import { acquire, nodeBlockingFileSystem, nodeLockPorts } from '../dist/node/index.js';

// The opt-in synchronous file-system port, measured beside the default (asynchronous) one.
const blocking = createLocker({ ...nodeLockPorts, fs: nodeBlockingFileSystem });

const run = promisify(execFile);
const symlinkAsync = promisify(symlink);
const readlinkAsync = promisify(readlink);
const unlinkAsync = promisify(unlink);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'lockfile-bench-'));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function uncontendedRate(library, path, iterations) {
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    if (library === 'suite') {
      const lock = await acquire(path, { realpath: false });
      await lock.release();
    } else if (library === 'suite-blocking') {
      const lock = await blocking.acquire(path, { realpath: false });
      await lock.release();
    } else if (library === 'floor' || library === 'floor+readlink') {
      const link = `${path}.lock`;
      await symlinkAsync('1.9r3.roti.uUaNPOU.mx0g7rhb.#0ku1..vm', link);
      if (library === 'floor+readlink') await readlinkAsync(link);
      await unlinkAsync(link);
    } else if (library === 'suite-shared') {
      const lock = await acquire(path, { shared: true, realpath: false });
      await lock.release();
    } else {
      const release = await lockfile.lock(path, { realpath: false });
      await release();
    }
  }
  return (iterations / (performance.now() - started)) * 1000;
}

async function contendedRound(library, processes, seconds) {
  const path = join(dir, `counter-${library}`);
  writeFileSync(path, '0');
  const startAt = Date.now() + 500; // after every contender has loaded its modules
  const endAt = startAt + seconds * 1000;
  const contender = join(import.meta.dirname, 'contender.mjs');
  const contenders = Array.from({ length: processes }, () =>
    run(process.execPath, [contender, library, path, path, String(startAt), String(endAt)]),
  );
  const counts = (await Promise.all(contenders)).map(({ stdout }) => Number(stdout.trim()));
  const total = counts.reduce((a, b) => a + b, 0);
  const lost = total - Number(readFileSync(path, 'utf8'));
  return { rate: total / seconds, lost, counts };
}

try {
  const rounds = 5;
  const iterations = Number(process.env.BENCH_ITERATIONS ?? 2_000);
  const target = join(dir, 'target');
  writeFileSync(target, ''); // proper-lockfile wants the file to exist
  await uncontendedRate('suite', target, 200); // warm up both
  await uncontendedRate('proper-lockfile', target, 200);
  await uncontendedRate('suite-blocking', target, 200);
  const un = { suite: [], 'suite-blocking': [], 'proper-lockfile': [], floor: [], 'floor+readlink': [] };
  const orders = [
    ['suite', 'suite-blocking', 'proper-lockfile', 'floor', 'floor+readlink'],
    ['floor+readlink', 'floor', 'proper-lockfile', 'suite-blocking', 'suite'],
  ];
  for (let round = 0; round < rounds; round++) {
    for (const library of orders[round % 2])
      un[library].push(await uncontendedRate(library, target, iterations));
  }
  const unSuite = median(un.suite);
  const unBlocking = median(un['suite-blocking']);
  const unPeer = median(un['proper-lockfile']);
  console.log(
    `uncontended acquire+release, ${iterations} per round, median of ${rounds} rounds (${dir}), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}:`,
  );
  console.log(`  @suite/lockfile (default, async fs)   ${fmt(unSuite).padStart(8)} /s`);
  console.log(`  @suite/lockfile (blocking fs, opt-in) ${fmt(unBlocking).padStart(8)} /s`);
  console.log(`  proper-lockfile                       ${fmt(unPeer).padStart(8)} /s`);
  console.log(`  ratio, default                        ${(unSuite / unPeer).toFixed(2)}×  (target ≥ 5×)`);
  console.log(`  ratio, blocking fs                    ${(unBlocking / unPeer).toFixed(2)}×`);
  const unFloor = median(un.floor);
  const unFloorRead = median(un['floor+readlink']);
  console.log(
    `  floor: bare async symlink+unlink      ${fmt(unFloor).padStart(8)} /s  ${(unFloor / unPeer).toFixed(2)}×`,
  );
  console.log(
    `  floor: symlink+readlink+unlink        ${fmt(unFloorRead).padStart(8)} /s  ${(unFloorRead / unPeer).toFixed(2)}×`,
  );

  const processes = 4;
  const seconds = Number(process.env.BENCH_SECONDS ?? 2);
  const co = { suite: [], 'proper-lockfile': [] };
  const shares = { suite: [], 'proper-lockfile': [] };
  let lost = { suite: 0, 'proper-lockfile': 0 };
  for (let round = 0; round < 5; round++) {
    for (const library of round % 2 === 0 ? ['suite', 'proper-lockfile'] : ['proper-lockfile', 'suite']) {
      const result = await contendedRound(library, processes, seconds);
      co[library].push(result.rate);
      shares[library].push(result.counts.join('/'));
      lost = { ...lost, [library]: lost[library] + result.lost };
    }
  }
  const coSuite = median(co.suite);
  const coPeer = median(co['proper-lockfile']);
  console.log(`contended: ${processes} processes for ${seconds} s on one lock, median of 5 rounds:`);
  console.log(`  @suite/lockfile  ${fmt(coSuite).padStart(8)} /s   lost updates: ${lost.suite}`);
  console.log(`  proper-lockfile  ${fmt(coPeer).padStart(8)} /s   lost updates: ${lost['proper-lockfile']}`);
  console.log(`  ratio            ${(coSuite / coPeer).toFixed(2)}×  (target ≥ 2×, 0 lost updates)`);
  console.log(`  sections per process, each round: suite ${shares.suite.join(', ')}`);
  console.log(`                                    proper-lockfile ${shares['proper-lockfile'].join(', ')}`);

  const sharedRounds = { 'suite-shared': [], 'proper-lockfile': [] };
  await uncontendedRate('suite-shared', target, 100);
  for (let round = 0; round < rounds; round++) {
    for (const library of round % 2 === 0
      ? ['suite-shared', 'proper-lockfile']
      : ['proper-lockfile', 'suite-shared']) {
      sharedRounds[library].push(await uncontendedRate(library, target, iterations / 4));
    }
  }
  const shSuite = median(sharedRounds['suite-shared']);
  const shPeer = median(sharedRounds['proper-lockfile']);
  console.log(
    `shared locks, uncontended acquire+release, ${iterations / 4} per round, median of ${rounds} rounds:`,
  );
  console.log(`  @suite/lockfile shared        ${fmt(shSuite).padStart(8)} /s`);
  console.log(`  proper-lockfile (exclusive)   ${fmt(shPeer).padStart(8)} /s`);
  console.log(
    `  ratio                         ${(shSuite / shPeer).toFixed(2)}×  (no target: proper-lockfile has no shared lock)`,
  );
  const reading = [];
  for (let round = 0; round < 3; round++)
    reading.push((await contendedRound('suite-shared', processes, seconds)).rate);
  const coShared = median(reading);
  console.log(
    `shared locks, ${processes} processes reading under a shared lock for ${seconds} s, median of 3 rounds:`,
  );
  console.log(`  @suite/lockfile shared        ${fmt(coShared).padStart(8)} /s`);
  console.log(`  vs our exclusive, contended   ${(coShared / coSuite).toFixed(2)}×  (what sharing gains)`);
  if (lost.suite !== 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
