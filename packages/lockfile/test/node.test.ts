import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadPid } from '@suite/internal/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquire,
  createPidFile,
  isLocked,
  LockError,
  nodeLockPorts,
  PidFileError,
  readOwner,
  withLock,
} from '../src/node/index.js';
import { decodeLink, encodeLink } from '../src/owner.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lockfile-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The names in `dir` a user sees (`ls`). */
async function visible(path: string): Promise<string[]> {
  return (await readdir(path)).filter((name) => !name.startsWith('.')).sort();
}

describe('acquire and release', () => {
  it('holds the lock as `<path>.lock` without the target existing, and removes it on release', async () => {
    const lock = await acquire(join(dir, 'data'));
    expect(lock.lockPath).toBe(join(dir, 'data.lock'));
    expect(await readdir(dir)).toEqual(['data.lock']);
    expect(await isLocked(join(dir, 'data'))).toBe(true);
    await lock.release();
    await lock.release(); // idempotent
    expect(await visible(dir)).toEqual([]);
    expect(await isLocked(join(dir, 'data'))).toBe(false);
  });

  it('refuses a second holder at once with ELOCKED naming the holder pid', async () => {
    await using _lock = await acquire(join(dir, 'data'));
    const error = await acquire(join(dir, 'data')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockError);
    expect(error).toMatchObject({ code: 'ELOCKED', owner: { pid: process.pid } });
    expect((error as Error).message).toContain(`pid ${process.pid}`);
  });

  it('is a symbolic link whose target is the owner record, and nothing is left beside it on release', async () => {
    const path = join(dir, 'data');
    const lock = await acquire(path);
    expect((await lstat(lock.lockPath)).isSymbolicLink()).toBe(true);
    expect(decodeLink(await readlink(lock.lockPath))).toMatchObject({
      pid: process.pid,
      token: expect.any(String),
    });
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('recognises a lock of the earlier directory format: held while its owner lives, taken over once dead', async () => {
    const path = join(dir, 'data');
    const token = 'earlier';
    const record = (pid: number) =>
      JSON.stringify({ pid, hostname: nodeLockPorts.host.hostname, token, created: 0 });
    await mkdir(`${path}.lock`);
    await writeFile(join(`${path}.lock`, `owner.${token}.json`), record(process.pid));
    expect(await acquire(path).catch((e: unknown) => e)).toMatchObject({
      code: 'ELOCKED',
      owner: { pid: process.pid },
    });
    await writeFile(join(`${path}.lock`, `owner.${token}.json`), record(await deadPid()));
    const lock = await acquire(path);
    expect((await lstat(lock.lockPath)).isSymbolicLink()).toBe(true);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('records when the lock was taken, also after adopt()', async () => {
    const path = join(dir, 'data');
    await (await acquire(path)).release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = Date.now();
    const lock = await acquire(path);
    const created = (await readOwner(path))!.created;
    expect(created).toBeGreaterThanOrEqual(before - 1);
    expect(created).toBeLessThanOrEqual(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await lock.adopt(process.pid);
    expect((await readOwner(path))!.created).toBe(created);
    await lock.release();
  });

  it('records who holds it', async () => {
    await using _lock = await acquire(join(dir, 'data'));
    const owner = await readOwner(join(dir, 'data'));
    expect(owner).toMatchObject({
      pid: process.pid,
      hostname: expect.any(String),
      token: expect.any(String),
    });
    expect(await readOwner(join(dir, 'other'))).toBeUndefined();
  });

  it('waits up to `timeout` and then fails with ETIMEOUT', async () => {
    await using _lock = await acquire(join(dir, 'data'));
    const started = performance.now();
    const error = await acquire(join(dir, 'data'), { timeout: 150 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ETIMEOUT' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('gets the lock as soon as the holder releases it while waiting', async () => {
    const first = await acquire(join(dir, 'data'));
    setTimeout(() => void first.release(), 50);
    const second = await acquire(join(dir, 'data'), { timeout: 5_000 });
    expect(await readOwner(join(dir, 'data'))).toMatchObject({ pid: process.pid });
    await second.release();
  });

  it('stops waiting with EABORTED when the signal aborts', async () => {
    await using _lock = await acquire(join(dir, 'data'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await acquire(join(dir, 'data'), { timeout: 10_000, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'EABORTED' });
  });

  it('withLock runs the function under the lock and releases it even when the function throws', async () => {
    const path = join(dir, 'data');
    expect(await withLock(path, async () => isLocked(path))).toBe(true);
    await expect(withLock(path, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await isLocked(path)).toBe(false);
  });

  it('takes over at once the lock of a dead holder on this host', async () => {
    const path = join(dir, 'data');
    const lock = await acquire(path);
    const pid = await deadPid();
    const record = decodeLink(await readlink(lock.lockPath))!;
    await unlink(lock.lockPath);
    await symlink(encodeLink({ ...record, pid, startTime: undefined }), lock.lockPath);
    expect(await isLocked(path)).toBe(false);
    const next = await acquire(path);
    expect(lock.signal.aborted).toBe(false);
    await next.release();
    await lock.release(); // its record is gone: release does not touch the new lock, and reports compromise
    expect(lock.signal.aborted).toBe(true);
  });

  it('keeps the lock alive while an adopted pid lives, even if the owner is dead', async () => {
    const path = join(dir, 'data');
    const lock = await acquire(path);
    await lock.adopt(process.pid);
    expect(await readOwner(path)).toMatchObject({ pids: [process.pid] });
    await lock.release();
  });
});

describe('bad input', () => {
  it('names the missing directory', async () => {
    const error = await acquire(join(dir, 'missing', 'data')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOENT' });
    expect((error as Error).message).toContain(join(dir, 'missing'));
  });

  it('refuses a lock path that is a plain file with ENOTDIR and leaves the file alone', async () => {
    await writeFile(join(dir, 'data.lock'), 'precious');
    const error = await acquire(join(dir, 'data')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOTDIR' });
    expect(await readFile(join(dir, 'data.lock'), 'utf8')).toBe('precious');
    expect(await visible(dir)).toEqual(['data.lock']);
  });

  it('treats an empty lock directory as held while its mtime is younger than stale, and free after', async () => {
    await mkdir(join(dir, 'data.lock'));
    expect(await acquire(join(dir, 'data')).catch((error: LockError) => error.code)).toBe('ELOCKED');
    const old = (Date.now() - 11_000) / 1000;
    await utimes(join(dir, 'data.lock'), old, old);
    const lock = await acquire(join(dir, 'data'));
    await lock.release();
    expect(await visible(dir)).toEqual([]);
  });
});

describe('damaged locks on disk', () => {
  const planted = (path: string, text: string) => writeFile(join(`${path}.lock`, 'owner.planted.json'), text);

  it('an empty or corrupt owner record blocks while fresh, and is taken over once older than stale', async () => {
    for (const text of ['', '{"pid":12', '\u0000\u0000\u0000']) {
      const path = join(dir, 'data');
      await mkdir(`${path}.lock`);
      await planted(path, text);
      const error = await acquire(path, { stale: 60_000 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ELOCKED', owner: undefined });
      expect(await isLocked(path, { stale: 60_000 })).toBe(true);
      const old = new Date(Date.now() - 120_000);
      await utimes(join(`${path}.lock`, 'owner.planted.json'), old, old);
      const lock = await acquire(path, { stale: 60_000 });
      await lock.release();
      expect(await visible(dir)).toEqual([]);
    }
  });

  it('a lock replaced by a file while held: release leaves the file and reports the compromise', async () => {
    const path = join(dir, 'data');
    const lock = await acquire(path);
    await rm(lock.lockPath);
    await writeFile(lock.lockPath, 'not a lock');
    await lock.release();
    expect(lock.signal.reason).toMatchObject({ code: 'ECOMPROMISED' });
    expect(await readFile(lock.lockPath, 'utf8')).toBe('not a lock');
    expect(await acquire(path).catch((e: unknown) => e)).toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('the process probe', () => {
  it("counts another user's live process (EPERM) as alive, and an exited one as dead", async () => {
    expect(nodeLockPorts.probe.isAlive(1)).toBe(true); // init: root's, so EPERM unless we are root
    expect(nodeLockPorts.probe.isAlive(await deadPid())).toBe(false);
    expect(nodeLockPorts.probe.isAlive(process.pid)).toBe(true);
  });

  it('tells a reused pid by its start time', () => {
    const started = nodeLockPorts.probe.startTime(process.pid);
    if (started === undefined) return; // no /proc on this platform
    expect(nodeLockPorts.probe.isAlive(process.pid, started)).toBe(true);
    expect(nodeLockPorts.probe.isAlive(process.pid, started + 1)).toBe(false);
  });
});

describe('createPidFile', () => {
  it('writes uuidd\'s "%8d\\n" and refuses a second one with ERUNNING and the pid', async () => {
    const path = join(dir, 'uuidd.pid');
    const pidFile = await createPidFile(path, { format: 'uuidd' });
    expect(await readFile(path, 'utf8')).toBe(`${String(process.pid).padStart(8)}\n`);
    const error = await createPidFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PidFileError);
    expect(error).toMatchObject({ code: 'ERUNNING', pid: process.pid });
    await pidFile.release();
    expect(await visible(dir)).toEqual([]);
  });

  it('writes "%d\\n" by default', async () => {
    await using _pidFile = await createPidFile(join(dir, 'd.pid'));
    expect(await readFile(join(dir, 'd.pid'), 'utf8')).toBe(`${process.pid}\n`);
  });
});

describe('a handle taken apart', () => {
  it('releases and adopts through detached methods: `const { release } = await acquire(path)`', async () => {
    const path = join(dir, 'detached');
    const { release, adopt, [Symbol.asyncDispose]: dispose } = await acquire(path);
    await adopt(process.pid);
    await release();
    expect(await isLocked(path)).toBe(false);
    await dispose();
    const { signal, release: releaseAgain } = await acquire(path);
    expect(signal.aborted).toBe(false);
    await releaseAgain();
    expect(await isLocked(path)).toBe(false);
  });
});

describe("proper-lockfile's options", () => {
  it("takes `retries` as the retry package's object and waits as it says before ELOCKED", async () => {
    const path = join(dir, 'data');
    const held = await acquire(path);
    const started = performance.now();
    const error = await acquire(path, {
      retries: { retries: 3, factor: 2, minTimeout: 40, maxTimeout: 80 },
    }).catch((e: LockError) => e);
    expect((error as LockError).code).toBe('ELOCKED');
    // Waits of 40, 80 and 80 ms (factor 2, capped at maxTimeout).
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(performance.now() - started).toBeLessThan(2_000);
    const waiting = acquire(path, { retries: { retries: 50, minTimeout: 10, factor: 1 } });
    await held.release();
    await (await waiting).release();
  });

  it('says what `retries` must be, in tries, not ms', async () => {
    const path = join(dir, 'data');
    await expect(acquire(path, { retries: -1 })).rejects.toThrow(
      'lockfile: option retries must be a whole number of tries (0 or more) or { retries, factor, minTimeout, maxTimeout }, got -1',
    );
    await expect(acquire(path, { retries: { retries: 2, tries: 3 } as never })).rejects.toThrow(
      /option retries\.tries is not known/,
    );
  });

  it('treats a path and a symbolic link to it as one lock (realpath), also when the path does not exist', async () => {
    const { symlink } = await import('node:fs/promises');
    await writeFile(join(dir, 'target'), '');
    await symlink(join(dir, 'target'), join(dir, 'link'));
    await mkdir(join(dir, 'real'));
    await symlink(join(dir, 'real'), join(dir, 'alias'));
    const lock = await acquire(join(dir, 'link'));
    expect(lock.lockPath).toBe(join(dir, 'target.lock'));
    expect(await acquire(join(dir, 'target')).catch((e: LockError) => e.code)).toBe('ELOCKED');
    expect(await isLocked(join(dir, 'link'))).toBe(true);
    const inAlias = await acquire(join(dir, 'alias', 'missing'));
    expect(inAlias.lockPath).toBe(join(dir, 'real', 'missing.lock'));
    expect(await acquire(join(dir, 'real', 'missing')).catch((e: LockError) => e.code)).toBe('ELOCKED');
    // Without realpath, the link names a lock of its own.
    const separate = await acquire(join(dir, 'link'), { realpath: false });
    expect(separate.lockPath).toBe(join(dir, 'link.lock'));
    await Promise.all([lock.release(), inAlias.release(), separate.release()]);
  });
});
