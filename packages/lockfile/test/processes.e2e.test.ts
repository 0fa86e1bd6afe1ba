import { type ChildProcess, fork, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquire, isLocked, nodeLockPorts, readOwner } from '../src/node/index.js';
import { creatorToken } from '../src/owner.js';

const worker = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
let dir: string;
const children = new Set<ChildProcess>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lockfile-e2e-'));
});
afterEach(async () => {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited(child);
    }
  }
  children.clear();
  await rm(dir, { recursive: true, force: true });
});

function start(args: string[], options: { uid?: number; gid?: number } = {}): ChildProcess {
  const child = spawn(process.execPath, [worker, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  });
  // A worker that cannot start (as nobody, when the root of the file system is private) yields no output.
  child.on('error', () => {});
  children.add(child);
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function output(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk;
      if (text.endsWith('\n')) resolve(text.trim());
    });
    child.once('exit', () => resolve(text.trim()));
    child.once('error', () => resolve(text.trim()));
  });
}

async function holder(path: string, ...extra: string[]): Promise<ChildProcess> {
  const child = start(['hold', path, ...extra]);
  expect(await output(child)).toBe('held');
  return child;
}

describe('mutual exclusion across real processes', () => {
  it('8 processes × 200 critical sections on a counter file end at exactly 1600', async () => {
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const workers = Array.from({ length: 8 }, () => start(['count', join(dir, 'counter'), counter, '200']));
    const results = await Promise.all(workers.map(exited));
    expect(results.every((result) => result.code === 0)).toBe(true);
    expect(await readFile(counter, 'utf8')).toBe('1600');
    expect(await readdir(dir)).toEqual(['counter']); // locks and their spares are gone with the processes
  });

  it('loses and doubles no increment while holders are killed with SIGKILL at random', async () => {
    const log = join(dir, 'log');
    await writeFile(log, '');
    const target = 1600;
    const path = join(dir, 'log');
    const live = new Set<ChildProcess>();
    const spawnWorker = () => live.add(start(['log', path, log, String(target)]));
    for (let i = 0; i < 8; i++) spawnWorker();
    let kills = 0;
    while (lastValue(await readFile(log, 'utf8')) < target) {
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
      const victims = [...live].filter((child) => child.exitCode === null);
      const victim = victims[Math.floor(Math.random() * victims.length)];
      if (victim !== undefined && kills < 40) {
        victim.kill('SIGKILL');
        kills++;
        live.delete(victim);
        spawnWorker();
      }
    }
    const finishedNormally = await Promise.all([...live].map(async (child) => (await exited(child)).code));
    const values = (await readFile(log, 'utf8')).trimEnd().split('\n').map(Number);
    expect(values).toEqual(Array.from({ length: target }, (_, i) => i + 1));
    expect(kills).toBeGreaterThan(10);
    // Every surviving waiter got the lock again to see the target reached, and exited cleanly.
    expect(finishedNormally.every((code) => code === 0)).toBe(true);
    expect(finishedNormally.length).toBe(8);
  });
});

function lastValue(text: string): number {
  const lines = text.trimEnd().split('\n');
  return text === '' ? 0 : Number(lines[lines.length - 1]);
}

describe('stale locks on this host', () => {
  it('takes over at once the lock of a holder killed with SIGKILL', async () => {
    const path = join(dir, 'data');
    const child = await holder(path);
    const pid = child.pid;
    child.kill('SIGKILL');
    await exited(child);
    expect(await readOwner(path)).toMatchObject({ pid });
    expect(await isLocked(path)).toBe(false);
    const lock = await acquire(path); // timeout 0: one try
    expect(await readOwner(path)).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('sweeps at once what a killed process left beside the lock it held, and nothing of a live one', async () => {
    const { hostname } = await import('node:os');
    const path = join(dir, 'data');
    const live = await holder(join(dir, 'other'));
    const victim = await holder(join(dir, 'another'));
    const token = (pid: number, random: string) =>
      creatorToken({ pid, startTime: nodeLockPorts.probe.startTime(pid) }, hostname(), random);
    const dead = [token(victim.pid!, 'empty'), token(victim.pid!, 'cut')];
    const alive = token(live.pid!, 'busy');
    victim.kill('SIGKILL');
    await exited(victim);
    // As left by kills of the earlier format between mkdir and writing the record, while writing it, and while
    // writing a pid file.
    await mkdir(join(dir, `.data.lock.${dead[0]}`));
    await mkdir(join(dir, `.data.lock.${dead[1]}`));
    await writeFile(join(dir, `.data.lock.${dead[1]}`, `owner.${dead[1]}.json`), '{"pid":');
    await writeFile(join(dir, `.data.lock.${dead[0]}.pid`), '12');
    await mkdir(join(dir, `.data.lock.${alive}`));
    // The victim's lock, which the next acquire finds taken (the sweep runs off the fast path).
    const record = { pid: victim.pid, hostname: hostname(), token: dead[0], created: Date.now() };
    await symlink(JSON.stringify(record), `${path}.lock`);
    await (await acquire(path, { stale: 60_000 })).release();
    const mine = `.data.lock.${process.pid.toString(36)}-`;
    expect((await readdir(dir)).filter((name) => name.startsWith('.data') && !name.startsWith(mine))).toEqual(
      [`.data.lock.${alive}`],
    );
  });

  it('never takes over a live holder stopped with SIGSTOP, even past `stale`', async () => {
    const path = join(dir, 'data');
    const child = await holder(path);
    child.kill('SIGSTOP');
    try {
      const error = await acquire(path, { stale: 50, timeout: 600 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ETIMEOUT', owner: { pid: child.pid } });
      expect(await isLocked(path, { stale: 50 })).toBe(true);
    } finally {
      child.kill('SIGCONT');
    }
  });

  it('of two contenders racing for one stale lock exactly one wins, 1000 times in a row', async () => {
    const path = join(dir, 'data');
    // A process killed with its start time known, as a lock of the earlier format records it: on a busy machine
    // its pid is soon reused (pids wrap within seconds when thousands of processes start per second), and a
    // record naming only the pid would then name a live process.
    const dead = await holder(join(dir, 'other'));
    const startTime = nodeLockPorts.probe.startTime(dead.pid!);
    expect(startTime).toBeDefined();
    dead.kill('SIGKILL');
    await exited(dead);
    const racers = [0, 1].map(() => {
      const child = fork(worker, ['race', path], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.add(child);
      return child;
    });
    const next = (child: ChildProcess) =>
      new Promise<unknown>((resolve) => child.once('message', (message) => resolve(message)));
    await Promise.all(racers.map(next));
    const hostname = (await import('node:os')).hostname();
    let overlapping = 0;
    for (let round = 0; round < 1000; round++) {
      // A lock left by a dead process: judged stale by both at once.
      const token = `stale${round}`;
      await mkdir(join(dir, 'data.lock'));
      const record = { pid: dead.pid, startTime, hostname, token, created: Date.now() };
      await writeFile(join(dir, 'data.lock', `owner.${token}.json`), JSON.stringify(record));
      const go = Date.now() + 3;
      const replies = racers.map(next);
      for (const racer of racers) racer.send({ go });
      type Reply = { won: boolean; code?: string; owner?: number; start: number; end: number };
      const [a, b] = (await Promise.all(replies)) as Reply[];
      const winners = [a, b].filter((reply) => reply!.won);
      expect(winners.length, `round ${round}: ${JSON.stringify([a, b])}`).toBe(1);
      const loser = [a, b].find((reply) => !reply!.won)!;
      expect(loser.code).toBe('ELOCKED');
      const winner = racers[a!.won ? 0 : 1]!;
      expect(loser.owner, JSON.stringify(loser)).toBe(winner.pid);
      if (a!.start < b!.end && b!.start < a!.end) overlapping++;
      const released = next(winner);
      winner.send('release');
      await released;
    }
    for (const racer of racers) racer.send('exit');
    await Promise.all(racers.map(exited));
    // The two tries ran at the same time in many rounds: the race was real, not two turns.
    expect(overlapping).toBeGreaterThan(100);
  });
});

describe('shared locks across real processes', () => {
  it('a shared holder killed with SIGKILL is recovered at once: a writer gets the lock', async () => {
    const path = join(dir, 'data');
    const reader = await holder(path, 'shared');
    const other = await holder(path, 'shared'); // two shared holders at once
    expect(await acquire(path).catch((error: { code: string }) => error.code)).toBe('ELOCKED');
    reader.kill('SIGKILL');
    await exited(reader);
    expect(await acquire(path).catch((error: { owner?: { pid: number } }) => error.owner?.pid)).toBe(
      other.pid,
    );
    other.kill('SIGKILL');
    await exited(other);
    const lock = await acquire(path);
    expect(await readOwner(path)).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  // The bound: a writer waits for the shared holders present when it arrives (each holds 40 ms here), plus its
  // polling (backoff up to 100 ms): well under a second, however many shared holders keep coming.
  it('a writer behind a stream of overlapping shared holders gets the lock within a second, and alone', async () => {
    const path = join(dir, 'data');
    const log = join(dir, 'log');
    await writeFile(log, '');
    const readers = Array.from({ length: 4 }, () => start(['reader', path, log, '40']));
    // Wait until the stream runs: the lock is held by some reader at every moment from here on.
    for (let i = 0; i < 400 && (await readFile(log, 'utf8')).split('+').length < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const active = async () => {
      const text = await readFile(log, 'utf8');
      return text.split('+').length - text.split('-').length;
    };
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      samples.push(await active());
      await new Promise((resolve) => setTimeout(resolve, 7));
    }
    expect(Math.min(...samples)).toBeGreaterThan(0); // the readers overlap: never a free moment
    const started = performance.now();
    const lock = await acquire(path, { timeout: 30_000 });
    const waited = performance.now() - started;
    const during = await active();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await active()).toBe(during); // no reader came in while the writer held the lock
    await lock.release();
    for (const reader of readers) reader.kill('SIGKILL');
    await Promise.all(readers.map(exited));
    expect(during).toBe(0);
    expect(waited).toBeLessThan(1_000);
  });
});

describe('release on exit and signals', () => {
  it('releases on SIGTERM and still dies of SIGTERM', async () => {
    const path = join(dir, 'data');
    const child = await holder(path);
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('releases on SIGINT and SIGHUP the same way', async () => {
    for (const signal of ['SIGINT', 'SIGHUP'] as const) {
      const child = await holder(join(dir, 'data'));
      child.kill(signal);
      expect(await exited(child)).toEqual({ code: null, signal });
      expect(await readdir(dir)).toEqual([]);
    }
  });

  it('leaves the signal to a program that listens to it, and releases when that program exits', async () => {
    const path = join(dir, 'data');
    const child = await holder(path, 'listen');
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    ['exits', undefined],
    ['is killed by SIGTERM', 'SIGTERM'],
    ['is killed by SIGINT', 'SIGINT'],
  ] as const)(
    'keeps a lock adopted for a live child held when the parent %s, until the child ends',
    async (_, signal) => {
      const path = join(dir, 'data');
      const parent = start(['adopt', path, signal === undefined ? 'exit' : 'wait']);
      const childPid = Number(await output(parent));
      try {
        if (signal !== undefined) parent.kill(signal);
        expect(await exited(parent)).toEqual(
          signal === undefined ? { code: 0, signal: null } : { code: null, signal },
        );
        expect(nodeLockPorts.probe.isAlive(childPid)).toBe(true);
        expect(await isLocked(path)).toBe(true);
        expect(await readOwner(path)).toMatchObject({ pid: parent.pid, pids: [childPid] });
        expect(await acquire(path).catch((error: { code: string }) => error.code)).toBe('ELOCKED');
      } finally {
        process.kill(childPid, 'SIGKILL');
      }
      for (let i = 0; i < 200 && nodeLockPorts.probe.isAlive(childPid); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await isLocked(path)).toBe(false);
      await (await acquire(path)).release();
    },
  );

  it('keeps a lock taken with a pid adopted from the start held after kill -9 of its owner, until that process ends', async () => {
    const path = join(dir, 'data');
    const owner = start(['adopted', path]);
    const keeperPid = Number(await output(owner));
    try {
      expect(await exited(owner)).toEqual({ code: null, signal: 'SIGKILL' });
      expect(await isLocked(path)).toBe(true);
      expect(await readOwner(path)).toMatchObject({ pid: owner.pid, pids: [keeperPid] });
      expect(await acquire(path).catch((error: { code: string }) => error.code)).toBe('ELOCKED');
    } finally {
      process.kill(keeperPid, 'SIGKILL');
    }
    for (let i = 0; i < 200 && nodeLockPorts.probe.isAlive(keeperPid); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await isLocked(path)).toBe(false);
    await (await acquire(path)).release();
  });

  it('releases on normal exit without release()', async () => {
    const child = start(['exit', join(dir, 'data')]);
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(await readdir(dir)).toEqual([]);
  });
});

const asRoot = process.getuid?.() === 0;
/** Root may write anywhere and signal anyone: the tests that need an unprivileged process run one as nobody. */
const unprivileged = asRoot ? { uid: 65534, gid: 65534 } : {};

/** Whether a process as nobody can load the worker at all (not when the checkout is private to root). */
async function nobodyCanRunWorker(): Promise<boolean> {
  if (!asRoot) return true;
  const child = start(['probe', '1'], unprivileged);
  return /^(true|false)$/.test(await output(child));
}

describe('liveness across users', () => {
  it('counts a live process of another user (kill 0 fails with EPERM) as alive, so never stale', async (context) => {
    if (!(await nobodyCanRunWorker())) context.skip(); // nobody cannot read this checkout
    // As root, ask as nobody about this (root's) process; otherwise ask about init, which is root's.
    const child = start(['probe', String(asRoot ? process.pid : 1)], unprivileged);
    expect(await output(child)).toBe('true');
  });
});

describe('bad input', () => {
  it('refuses a directory without write permission with EACCES', async (context) => {
    const locked = join(dir, 'ro');
    await mkdir(locked);
    await chmod(dir, 0o755);
    await chmod(locked, 0o555);
    if (!(await nobodyCanRunWorker())) context.skip(); // nobody cannot read this checkout
    const child = start(['try', join(locked, 'data')], unprivileged);
    const reply = JSON.parse(await output(child)) as { code: string; message: string };
    expect(reply.code).toBe('EACCES');
    expect(reply.message).toContain(`no permission to write in ${locked}`);
    expect(await readdir(locked)).toEqual([]);
  });
});
