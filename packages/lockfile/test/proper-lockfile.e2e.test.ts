import { spawn } from 'node:child_process';
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquire, isLocked, type LockError } from '../src/node/index.js';

// Interoperation with the real proper-lockfile package, as during a gradual migration: its lock is an empty
// `<path>.lock` directory whose mtime it refreshes; ours is a `<path>.lock` symbolic link whose target is our owner
// record (not a path: following it finds nothing).
let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lockfile-interop-'));
  path = join(dir, 'data');
  await writeFile(path, ''); // proper-lockfile's realpath wants the file to exist
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('with proper-lockfile on the same path', () => {
  it('a live proper-lockfile lock is held: acquire fails with ELOCKED, waits, and gets it once released', async () => {
    const release = await lockfile.lock(path);
    const error = (await acquire(path).catch((e: unknown) => e)) as LockError;
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain('held by another program (an empty lock directory');
    expect(await isLocked(path)).toBe(true);
    const waiting = acquire(path, { timeout: 5_000 });
    await sleep(100);
    await release();
    const lock = await waiting;
    expect(await isLocked(path)).toBe(true);
    await lock.release();
  });

  it('keeps a proper-lockfile lock whose holder was killed until it is older than `stale`, then takes it', async () => {
    const script = `const l = require(${JSON.stringify(createRequire(import.meta.url).resolve('proper-lockfile'))});
      l.lock(${JSON.stringify(path)}).then(() => { process.stdout.write('held\\n'); setInterval(() => {}, 1000); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const killedAt = Date.now();
    expect(await acquire(path, { stale: 1_500 }).catch((e: LockError) => e.code)).toBe('ELOCKED');
    const lock = await acquire(path, { stale: 1_500, timeout: 5_000 });
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_000); // its mtime, at most update ago, had to age
    await lock.release();
  });

  it('our lock is held for proper-lockfile (ELOCKED) for as long as we hold it, and never removed by it', async () => {
    const lock = await acquire(path, { stale: 2_000 }); // a heartbeat every second
    await sleep(2_600); // older than proper-lockfile's `stale` of 2 s
    const error = (await lockfile.lock(path, { stale: 2_000 }).catch((e: unknown) => e)) as { code: string };
    expect(error.code).toBe('ELOCKED');
    // Its check() follows the link, finds nothing and says false: only lock() excludes.
    expect(await lockfile.check(path, { stale: 2_000 })).toBe(false);
    expect((await lstat(`${path}.lock`)).isSymbolicLink()).toBe(true); // not removed by proper-lockfile
    await lock.release();
    const release = await lockfile.lock(path, { stale: 2_000 });
    await release();
  });
});
