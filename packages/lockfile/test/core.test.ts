import { describe, expect, it, vi } from 'vitest';
import { createLocker, createPidFileFactory, formatPid, LockError, parsePid } from '../src/index.js';
import {
  creatorOfToken,
  creatorToken,
  decodeLink,
  encodeLink,
  FAST_LINK_MAX,
  hostTag,
} from '../src/owner.js';
import { fakePorts, fakeWorld } from './fakes.js';

const here = { hostname: 'alpha', bootId: 'boot-1' };

function setup() {
  const world = fakeWorld();
  const portsA = fakePorts(world, { pid: 100, ...here });
  const portsB = fakePorts(world, { pid: 200, ...here });
  return { world, a: createLocker(portsA), b: createLocker(portsB), portsA, portsB };
}

async function rejection(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LockError);
  return error as LockError;
}

/** Lets the asynchronous work started by timers (heartbeats, spare removal) run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Drives the manual clock until `promise` settles. */
async function drive<T>(world: ReturnType<typeof fakeWorld>, promise: Promise<T>, step = 1): Promise<T> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 100_000 && !settled; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!settled) world.clock.advance(step);
  }
  return promise;
}

/** Writes a lock owned as described, as another process would have left it. */
function plant(
  world: ReturnType<typeof fakeWorld>,
  record: object | string,
  token = 'planted',
  mtimeMs?: number,
) {
  world.fs.mkdir('/locks/job.lock');
  const text =
    typeof record === 'string' ? record : JSON.stringify({ token, created: world.clock.now(), ...record });
  world.fs.writeFile(`/locks/job.lock/owner.${token}.json`, text);
  if (mtimeMs !== undefined) world.fs.utimes(`/locks/job.lock/owner.${token}.json`, mtimeMs);
}

describe('on one host', () => {
  it('grants the lock to one process at a time and names the holder', async () => {
    const { a, b } = setup();
    const lock = await a.acquire('/locks/job');
    const error = await rejection(b.acquire('/locks/job'));
    expect(error.code).toBe('ELOCKED');
    expect(error.owner).toMatchObject({ pid: 100, hostname: 'alpha' });
    expect(error.message).toBe('lock /locks/job.lock is held by pid 100');
    await lock.release();
    await (await b.acquire('/locks/job')).release();
  });

  it('takes over at once when the holder is dead', async () => {
    const { world, a, b } = setup();
    await a.acquire('/locks/job');
    world.processes.table.delete(100);
    expect(await b.isLocked('/locks/job')).toBe(false);
    const lock = await b.acquire('/locks/job');
    expect(await b.readOwner('/locks/job')).toMatchObject({ pid: 200 });
    await lock.release();
  });

  it('never takes over a live holder, however old its heartbeat', async () => {
    const { world, b } = setup();
    world.processes.table.set(300, 7);
    plant(world, { pid: 300, startTime: 7, ...here }, 'planted', 0);
    world.clock.advance(3_600_000);
    expect((await rejection(b.acquire('/locks/job', { stale: 10 }))).code).toBe('ELOCKED');
  });

  it('judges a holder whose pid now belongs to another process (other start time) dead', async () => {
    const { world, b } = setup();
    world.processes.table.set(300, 8);
    plant(world, { pid: 300, startTime: 7, ...here });
    await (await b.acquire('/locks/job')).release();
  });

  it('judges every process recorded in an earlier boot dead', async () => {
    const { world, b } = setup();
    world.processes.table.set(300, 7);
    plant(world, { pid: 300, startTime: 7, hostname: 'alpha', bootId: 'boot-0' });
    await (await b.acquire('/locks/job')).release();
  });

  it('keeps the lock while an adopted pid lives after the owner died', async () => {
    const { world, a, b } = setup();
    world.processes.table.set(400, 9);
    const lock = await a.acquire('/locks/job');
    await lock.adopt(400);
    expect(await a.readOwner('/locks/job')).toMatchObject({ pid: 100, pids: [400] });
    world.processes.table.delete(100);
    expect((await rejection(b.acquire('/locks/job'))).code).toBe('ELOCKED');
    world.processes.table.delete(400);
    await (await b.acquire('/locks/job')).release();
  });

  it('release removes only our own lock: after a takeover the new holder keeps it', async () => {
    const { world, a, b, portsA } = setup();
    const compromised: LockError[] = [];
    const lock = await a.acquire('/locks/job', { onCompromised: (e) => compromised.push(e) });
    world.processes.table.delete(100); // judged dead (say, a frozen container's pid namespace)
    const next = await b.acquire('/locks/job');
    world.processes.table.set(100, 1_100);
    await lock.release();
    expect(await b.readOwner('/locks/job')).toMatchObject({ pid: 200 });
    expect(compromised.map((e) => e.code)).toEqual(['ECOMPROMISED']);
    expect(lock.signal.aborted).toBe(true);
    expect(portsA.host.pid).toBe(100);
    await next.release();
  });
});

describe('across hosts', () => {
  it('a lock replaced by another host just as we release it late is put back, not carried off', async () => {
    const world = fakeWorld();
    const remote = createLocker(fakePorts(world, { pid: 100, hostname: 'beta', bootId: 'boot-9' }));
    // No heartbeat before release: our lock may look stale elsewhere, so release moves it aside before it looks.
    const lock = await remote.acquire('/locks/job', { stale: 1_000, update: 60_000 });
    world.clock.advance(600);
    const rename = world.fs.rename.bind(world.fs);
    world.fs.rename = (from, to) => {
      if (from === '/locks/job.lock') {
        // Just before release's rename, a host that judged our lock stale takes it over.
        world.fs.unlink('/locks/job.lock');
        world.fs.symlink('{"theirs":1}', '/locks/job.lock');
        world.fs.rename = rename;
      }
      rename(from, to);
    };
    await lock.release();
    expect(world.fs.readlink('/locks/job.lock')).toBe('{"theirs":1}');
    expect(world.fs.readdir('/locks')).toEqual(['job.lock']);
    expect(lock.signal.reason).toMatchObject({ code: 'ECOMPROMISED' });
  });

  it('with a fresh heartbeat, release is one look and one unlink', async () => {
    const world = fakeWorld();
    const remote = createLocker(fakePorts(world, { pid: 100, hostname: 'beta', bootId: 'boot-9' }));
    const lock = await remote.acquire('/locks/job', { stale: 1_000 });
    world.clock.advance(400);
    const calls: string[] = [];
    for (const name of ['rename', 'readlink', 'unlink', 'symlink'] as const) {
      const original = world.fs[name].bind(world.fs) as (...args: string[]) => unknown;
      (world.fs as unknown as Record<string, unknown>)[name] = (...args: string[]) => {
        calls.push(name);
        return original(...args);
      };
    }
    await lock.release();
    expect(calls).toEqual(['readlink', 'unlink']);
    expect(world.fs.readdir('/locks')).toEqual([]);
  });

  const elsewhere = { hostname: 'beta', bootId: 'boot-9' };

  it('keeps a lock whose owner beats its heartbeat, and takes it when the heartbeat is older than stale', async () => {
    const world = fakeWorld();
    const remote = createLocker(fakePorts(world, { pid: 100, ...elsewhere }));
    const local = createLocker(fakePorts(world, { pid: 200, ...here }));
    const lock = await remote.acquire('/locks/job', { stale: 1_000 });
    world.clock.advance(10_000); // heartbeats every 500 ms keep it fresh
    expect((await rejection(local.acquire('/locks/job', { stale: 1_000 }))).code).toBe('ELOCKED');
    await lock.release();

    plant(world, { pid: 100, ...elsewhere }, 'silent');
    world.clock.advance(999);
    expect(await local.isLocked('/locks/job', { stale: 1_000 })).toBe(true);
    world.clock.advance(2);
    expect(await local.isLocked('/locks/job', { stale: 1_000 })).toBe(false);
    await (await local.acquire('/locks/job', { stale: 1_000 })).release();
  });

  it('takes a lock whose heartbeat lies in the future (a clock jump) once it stays unchanged for `stale`', async () => {
    const world = fakeWorld();
    const local = createLocker(fakePorts(world, { pid: 200, ...here }));
    plant(world, { pid: 100, ...elsewhere }, 'future', world.clock.now() + 3_600_000);
    expect((await rejection(local.acquire('/locks/job', { stale: 1_000 }))).code).toBe('ELOCKED');
    const started = world.clock.monotonic();
    const lock = await drive(world, local.acquire('/locks/job', { stale: 1_000, timeout: 60_000 }), 10);
    expect(world.clock.monotonic() - started).toBeGreaterThan(1_000);
    expect(world.clock.monotonic() - started).toBeLessThan(1_500);
    await lock.release();
  });

  it('reports a compromised lock through the callback and the signal, never by throwing from the timer', async () => {
    const world = fakeWorld();
    const remote = createLocker(fakePorts(world, { pid: 100, ...elsewhere }));
    const seen: string[] = [];
    const lock = await remote.acquire('/locks/job', {
      stale: 1_000,
      onCompromised: (error) => {
        seen.push(error.code);
        throw new Error('a careless callback');
      },
    });
    world.fs.unlink('/locks/job.lock');
    world.clock.advance(600); // the next heartbeat finds it gone
    await settle();
    expect(seen).toEqual(['ECOMPROMISED']);
    expect(lock.signal.reason).toMatchObject({ code: 'ECOMPROMISED' });
    world.clock.advance(5_000);
    expect(seen).toHaveLength(1);
    await lock.release();
  });
});

describe('waiting', () => {
  it('retries with backoff until `timeout`, then fails with ETIMEOUT', async () => {
    const { world, a, b } = setup();
    await a.acquire('/locks/job');
    const started = world.clock.monotonic();
    const error = await rejection(drive(world, b.acquire('/locks/job', { timeout: 500 })));
    expect(error.code).toBe('ETIMEOUT');
    expect(error.message).toBe('timed out after 500 ms: lock /locks/job.lock is held by pid 100');
    expect(world.clock.monotonic() - started).toBeGreaterThanOrEqual(500);
    expect(world.clock.monotonic() - started).toBeLessThan(700);
  });

  it('gets the lock when it is released during the wait', async () => {
    const { world, a, b } = setup();
    const lock = await a.acquire('/locks/job');
    world.clock.after(300, () => void lock.release());
    await drive(world, b.acquire('/locks/job', { timeout: 10_000 }));
    expect(await b.readOwner('/locks/job')).toMatchObject({ pid: 200 });
  });

  it('a waiter of this process gets the lock as soon as this process releases it, not after its backoff wait', async () => {
    const { a } = setup();
    const first = await a.acquire('/locks/job');
    let got = false;
    const waiter = a
      .acquire('/locks/job', { timeout: 60_000, backoff: { min: 10_000, max: 10_000 } })
      .then((lock) => {
        got = true;
        return lock;
      });
    await settle();
    expect(got).toBe(false);
    await first.release();
    await settle();
    expect(got).toBe(true); // the manual clock never moved: no backoff wait ran out
    await (await waiter).release();
  });

  it('gives up after `retries` more tries with ELOCKED', async () => {
    const { world, a, b } = setup();
    await a.acquire('/locks/job');
    let tries = 0;
    const readlink = world.fs.readlink.bind(world.fs);
    world.fs.readlink = (path) => {
      if (path === '/locks/job.lock') tries++; // one look at the holder per try
      return readlink(path);
    };
    expect((await rejection(drive(world, b.acquire('/locks/job', { retries: 3 })))).code).toBe('ELOCKED');
    expect(tries).toBe(4);
  });

  it('stops waiting with EABORTED when the signal aborts', async () => {
    const { world, a, b } = setup();
    await a.acquire('/locks/job');
    const controller = new AbortController();
    world.clock.after(100, () => controller.abort());
    const error = await rejection(
      drive(world, b.acquire('/locks/job', { timeout: 10_000, signal: controller.signal })),
    );
    expect(error.code).toBe('EABORTED');
  });

  it('rejects nonsense options', async () => {
    const { b } = setup();
    await expect(b.acquire('/locks/job', { timeout: -1 })).rejects.toThrow(TypeError);
    await expect(b.acquire('/locks/job', { stale: Number.NaN })).rejects.toThrow(TypeError);
  });
});

describe('bad input', () => {
  it('a corrupt or empty record blocks while fresh and is taken over once older than stale', async () => {
    for (const text of ['', '{"pid":', 'not json at all', '{"pid":-4,"hostname":"alpha"}']) {
      const { world, b } = setup();
      plant(world, text);
      const error = await rejection(b.acquire('/locks/job', { stale: 1_000 }));
      expect(error).toMatchObject({ code: 'ELOCKED', owner: undefined });
      expect(error.message).toBe('lock /locks/job.lock is held by an unknown holder');
      world.clock.advance(1_001);
      await (await b.acquire('/locks/job', { stale: 1_000 })).release();
      expect(world.fs.list('/locks').filter((path) => path.startsWith('/locks/job.lock'))).toEqual([]);
    }
  });

  it('a record whose token does not match its file name is treated as corrupt', async () => {
    const { world, b } = setup();
    world.processes.table.delete(999);
    plant(world, JSON.stringify({ pid: 999, hostname: 'alpha', token: 'other', created: 0 }), 'planted');
    expect((await rejection(b.acquire('/locks/job'))).owner).toBeUndefined();
  });

  it('stray files in the lock directory are removed once older than stale', async () => {
    const { world, b } = setup();
    world.fs.mkdir('/locks/job.lock');
    world.fs.writeFile('/locks/job.lock/junk', 'x');
    expect((await rejection(b.acquire('/locks/job', { stale: 1_000 }))).code).toBe('ELOCKED');
    world.clock.advance(1_001);
    await (await b.acquire('/locks/job', { stale: 1_000 })).release();
  });

  it("an empty lock directory (proper-lockfile's lock) is held while younger than stale, then free", async () => {
    const { world, b } = setup();
    world.fs.mkdir('/locks/job.lock');
    const error = await rejection(drive(world, b.acquire('/locks/job', { stale: 5_000 })));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toBe(
      'lock /locks/job.lock is held by another program (an empty lock directory, as proper-lockfile makes, younger than `stale`)',
    );
    expect(await b.isLocked('/locks/job', { stale: 5_000 })).toBe(true);
    world.clock.advance(5_001);
    expect(await b.isLocked('/locks/job', { stale: 5_000 })).toBe(false);
    await (await b.acquire('/locks/job', { stale: 5_000 })).release();
  });

  it('refuses a lock path that is a file (ENOTDIR) and a missing directory (ENOENT), touching nothing', async () => {
    const { world, b } = setup();
    world.fs.writeFile('/locks/job.lock', 'precious');
    const notDir = await rejection(b.acquire('/locks/job'));
    expect(notDir.code).toBe('ENOTDIR');
    expect(notDir.message).toBe(
      '/locks/job.lock exists and is not a lock directory; remove it if nothing uses it',
    );
    expect(world.fs.readFile('/locks/job.lock')).toBe('precious');
    const missing = await rejection(b.acquire('/nowhere/job'));
    expect(missing.code).toBe('ENOENT');
    expect(missing.message).toBe('cannot create /nowhere/job.lock: directory /nowhere does not exist');
  });
});

describe('the lock link', () => {
  it('is one symbolic link whose target is the owner record, made in one call, with nothing beside it', async () => {
    const { world, b } = setup();
    const calls: string[] = [];
    for (const name of [
      'mkdir',
      'rename',
      'readdir',
      'writeFile',
      'stat',
      'utimes',
      'symlink',
      'readlink',
    ] as const) {
      const original = world.fs[name].bind(world.fs) as (...args: unknown[]) => unknown;
      (world.fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls.push(name);
        return original(...args);
      };
    }
    const lock = await b.acquire('/locks/job', { realpath: false });
    expect(calls).toEqual(['symlink']);
    expect(world.fs.readdir('/locks')).toEqual(['job.lock']);
    const record = decodeLink(world.fs.readlink('/locks/job.lock'));
    expect(record).toMatchObject({
      pid: 200,
      hostname: 'alpha',
      created: world.clock.now(),
    });
    expect(record?.token).toMatch(/^5k-[0-9a-z]*-[0-9a-z]{7}-t200x\d+$/);
    await lock.release();
    expect(world.fs.readdir('/locks')).toEqual([]);
  });

  it('carries its record in at most 59 characters (a fast link on ext4), tagging a long host name; else JSON', () => {
    const token = creatorToken(
      { pid: 4_194_303, startTime: 3e9 },
      'ip-172-31-20-155.eu-west-1.compute.internal',
      'AbCdEfG',
    );
    const owner = {
      pid: 4_194_303,
      startTime: 3e9,
      hostname: 'ip-172-31-20-155.eu-west-1.compute.internal',
      bootId: '8b9c5e0a-1234-4567-89ab-0123456789ab',
      token,
      created: 1_763_000_000_000,
    };
    const adopted = { ...owner, adopted: [{ pid: 4_000_000, startTime: 3e9 }] }; // a year's uptime, large pids
    const text = encodeLink(adopted);
    expect(text.length).toBeLessThanOrEqual(FAST_LINK_MAX);
    expect(decodeLink(text)).toMatchObject({
      pid: owner.pid,
      startTime: owner.startTime,
      hostname: `#${hostTag(owner.hostname)}`,
      token,
      created: owner.created,
      pids: [4_000_000],
    });
    expect(decodeLink(encodeLink({ ...owner, hostname: 'db2' }))?.hostname).toBe('db2');
    const many = {
      ...owner,
      adopted: [1, 2, 3, 4].map((pid) => ({ pid: pid * 100_000, startTime: 2 ** 30 })),
    };
    expect(encodeLink(many).startsWith('{')).toBe(true);
    expect(decodeLink(encodeLink(many))).toMatchObject({ pids: [100_000, 200_000, 300_000, 400_000] });
    expect(decodeLink('../elsewhere')).toBeUndefined();
  });

  it('a tagged host name and boot id are judged as the full ones: liveness on this host', async () => {
    const { world, b } = setup();
    world.processes.table.set(300, 7);
    const token = creatorToken({ pid: 300, startTime: 7 }, 'alpha', 'r');
    const text = encodeLink({
      pid: 300,
      startTime: 7,
      hostname: 'alpha',
      bootId: 'boot-1',
      token,
      created: 0,
    }).replace('.alpha', `.#${hostTag('alpha')}`);
    world.fs.symlink(text, '/locks/job.lock');
    world.clock.advance(3_600_000);
    expect(await rejection(b.acquire('/locks/job', { stale: 10 }))).toMatchObject({
      code: 'ELOCKED',
      owner: { pid: 300 },
    });
    world.processes.table.delete(300);
    await (await b.acquire('/locks/job', { stale: 10 })).release();
  });

  it('reports when the lock was taken, also after adopt() replaced the link', async () => {
    const { world, b } = setup();
    await (await b.acquire('/locks/job')).release();
    world.clock.advance(1_500);
    const lock = await b.acquire('/locks/job');
    expect((await b.readOwner('/locks/job'))?.created).toBe(world.clock.now());
    world.clock.advance(700);
    world.processes.table.set(500, 1);
    await lock.adopt(500);
    expect(await b.readOwner('/locks/job')).toMatchObject({ created: world.clock.now() - 700, pids: [500] });
    expect(world.fs.readdir('/locks')).toEqual(['job.lock']); // the temporary link was renamed over ours
  });

  it('a lock of the earlier directory format is held while its owner lives, and replaced by a link once dead', async () => {
    const { world, b } = setup();
    world.processes.table.set(300, 7);
    plant(world, { pid: 300, startTime: 7, ...here }, 'earlier');
    expect(await rejection(b.acquire('/locks/job'))).toMatchObject({ code: 'ELOCKED', owner: { pid: 300 } });
    expect(await b.isLocked('/locks/job')).toBe(true);
    world.processes.table.delete(300);
    const lock = await b.acquire('/locks/job');
    expect(decodeLink(world.fs.readlink('/locks/job.lock'))).toMatchObject({ pid: 200 });
    await lock.release();
    expect(world.fs.readdir('/locks')).toEqual([]);
  });

  it('a stale link is taken over by the contender whose takeover marker is made first', async () => {
    const { world, portsB, b } = setup();
    world.processes.table.set(300, 7);
    world.processes.table.set(400, 8);
    const stale = JSON.stringify({ pid: 300, startTime: 7, ...here, token: 'dead', created: 0 });
    world.fs.symlink(stale, '/locks/job.lock');
    world.processes.table.delete(300);
    // pid 400 is taking it over right now: b stays out rather than race it.
    const taker = JSON.stringify({ pid: 400, startTime: 8, ...here, token: 'taker', created: 0 });
    world.fs.symlink(taker, '/locks/.job.lock.dead.reap');
    expect(await rejection(b.acquire('/locks/job'))).toMatchObject({ code: 'ELOCKED', owner: { pid: 300 } });
    expect(world.fs.readlink('/locks/job.lock')).toBe(stale);
    // pid 400 was killed mid-way: its marker is passed over (never removed while the stale link is there).
    world.processes.table.delete(400);
    const symlink = vi.spyOn(world.fs, 'symlink');
    const lock = await b.acquire('/locks/job');
    expect(symlink.mock.calls.map(([, path]) => path)).toContain('/locks/.job.lock.dead.reap.1');
    expect(decodeLink(world.fs.readlink('/locks/job.lock'))).toMatchObject({ pid: portsB.host.pid });
    expect(world.fs.readdir('/locks')).toEqual(['job.lock']); // both markers went with the stale link
    await lock.release();
  });

  it('of two contenders for a stale lock directory of the earlier format, the one that meets it emptied by the other (paused before removing it) names that other, which then wins', async () => {
    const { world, portsA, b } = setup();
    world.processes.table.set(300, 7);
    plant(world, { pid: 300, startTime: 7, ...here });
    world.processes.table.delete(300);
    let reached!: () => void;
    let resume!: () => void;
    const atGap = new Promise<void>((resolve) => (reached = resolve));
    const paused = new Promise<void>((resolve) => (resume = resolve));
    // a is descheduled right after removing the stale record, before removing the emptied directory.
    const a = createLocker({
      ...portsA,
      fs: {
        ...portsA.fs,
        unlink: async (path) => {
          await portsA.fs.unlink(path);
          if (path !== '/locks/job.lock/owner.planted.json') return;
          reached();
          await paused;
        },
      },
    });
    const first = a.acquire('/locks/job'); // timeout 0: one try
    await atGap;
    expect(world.fs.readdir('/locks/job.lock')).toEqual([]);
    // b (timeout 0 too), however long a stays away, neither gives up for want of a holder nor takes a's place.
    const error = await rejection(drive(world, b.acquire('/locks/job')));
    expect(error).toMatchObject({ code: 'ELOCKED', owner: { pid: 100 } });
    resume();
    const lock = await first;
    expect(decodeLink(world.fs.readlink('/locks/job.lock'))).toMatchObject({ pid: 100 });
    expect(world.fs.readdir('/locks')).toEqual(['job.lock']); // a's takeover marker went with its try
    await lock.release();
    expect(world.fs.readdir('/locks')).toEqual([]);
  });

  it('a contender killed between claiming the takeover of a stale lock directory and removing it is passed over', async () => {
    const { world, portsB, b } = setup();
    world.processes.table.set(300, 7);
    world.processes.table.set(400, 8);
    plant(world, { pid: 300, startTime: 7, ...here });
    world.processes.table.delete(300);
    const taker = JSON.stringify({ pid: 400, startTime: 8, ...here, token: 'taker', created: 0 });
    world.fs.symlink(taker, '/locks/.job.lock.planted.reap');
    expect(await rejection(b.acquire('/locks/job'))).toMatchObject({ code: 'ELOCKED', owner: { pid: 400 } });
    world.processes.table.delete(400); // killed with its marker made, the stale record still there
    const lock = await b.acquire('/locks/job');
    expect(decodeLink(world.fs.readlink('/locks/job.lock'))).toMatchObject({ pid: portsB.host.pid });
    expect(world.fs.readdir('/locks')).toEqual(['job.lock']);
    await lock.release();
  });

  it('a takeover does not remove a link that replaced the stale one meanwhile', async () => {
    const { world, b } = setup();
    const stale = JSON.stringify({ pid: 300, ...here, token: 'dead', created: 0 });
    const fresh = JSON.stringify({ pid: 100, startTime: 1_100, ...here, token: 'fresh', created: 0 });
    world.fs.symlink(stale, '/locks/job.lock');
    const symlink = world.fs.symlink.bind(world.fs);
    world.fs.symlink = (target, path) => {
      symlink(target, path);
      if (path.endsWith('.reap')) {
        // Right after we won the marker, another contender (who judged it stale before) replaced it.
        world.fs.unlink('/locks/job.lock');
        symlink(fresh, '/locks/job.lock');
      }
    };
    expect(await rejection(b.acquire('/locks/job'))).toMatchObject({ code: 'ELOCKED', owner: { pid: 100 } });
    expect(world.fs.readlink('/locks/job.lock')).toBe(fresh);
    expect(world.fs.readdir('/locks')).toEqual(['job.lock']);
  });

  it('litter older than stale (an earlier spare without record, .adopt and .pid files) is swept on the first contention; fresh litter is not', async () => {
    const { world, a, b } = setup();
    world.fs.mkdir('/locks/.job.lock.emptyold');
    world.fs.writeFile('/locks/.job.lock.x1.adopt', '{}');
    world.fs.writeFile('/locks/.job.lock.x2.pid', '1\n');
    world.clock.advance(20_000);
    world.fs.mkdir('/locks/.job.lock.emptynew');
    world.fs.writeFile('/locks/.other.lock.x3.pid', '1\n');
    await (await b.acquire('/locks/job')).release();
    expect(world.fs.readdir('/locks')).toHaveLength(5); // the fast path looks at nothing
    const held = await a.acquire('/locks/job');
    await rejection(b.acquire('/locks/job'));
    await held.release();
    expect(world.fs.readdir('/locks')).toEqual(['.job.lock.emptynew', '.other.lock.x3.pid']);
  });

  it('litter of a process killed mid-way is swept at once when its token names a dead process of this host', async () => {
    const { world, portsA, a, b } = setup();
    const self = { pid: 100, startTime: portsA.probe.startTime(100) };
    const dead = (random: string) => creatorToken(self, 'alpha', random);
    const stranger = creatorToken({ pid: 100 }, 'beta', 'x');
    world.fs.mkdir(`/locks/.job.lock.${dead('empty')}`); // an earlier spare, killed before its record was written
    world.fs.mkdir(`/locks/.job.lock.${dead('cut')}`); // killed while writing it
    world.fs.writeFile(`/locks/.job.lock.${dead('cut')}/owner.${dead('cut')}.json`, '{"pid":1');
    world.fs.symlink('{"pid"', `/locks/.job.lock.${dead('a')}.adopt`);
    world.fs.writeFile(`/locks/.job.lock.${dead('p')}.pid`, '10');
    world.fs.mkdir(`/locks/.job.lock.${stranger}`); // another host's: only its age may tell
    await a.acquire('/locks/job');
    await rejection(b.acquire('/locks/job'));
    // pid 100 lives: nothing of it is touched.
    expect(world.fs.readdir('/locks')).toHaveLength(6);
    world.processes.table.delete(100);
    const c = createLocker(fakePorts(world, { pid: 300, ...here }));
    await (await c.acquire('/locks/job')).release();
    expect(world.fs.readdir('/locks')).toEqual([`.job.lock.${stranger}`]);
  });

  it('a token names its creator; other tokens name nobody', () => {
    const token = creatorToken({ pid: 4_194_304, startTime: 123_456_789 }, 'host', 'r-_9');
    expect(creatorOfToken(token)).toEqual({ pid: 4_194_304, startTime: 123_456_789, host: hostTag('host') });
    expect(creatorOfToken(creatorToken({ pid: 7 }, 'host', 'abc'))).toMatchObject({
      pid: 7,
      startTime: undefined,
    });
    expect(hostTag('alpha')).not.toBe(hostTag('beta'));
    for (const other of ['planted', 't200x1', '5k--short-x', '5k-1-0000000'])
      expect(creatorOfToken(other)).toBeUndefined();
  });
});

describe('pid files', () => {
  it('formats like pidfile(3) and uuidd, and parses both', () => {
    expect(formatPid(42)).toBe('42\n');
    expect(formatPid(42, 'uuidd')).toBe('      42\n');
    expect(parsePid('      42\n')).toBe(42);
    expect(parsePid('42')).toBe(42);
    expect(parsePid('')).toBeUndefined();
    expect(parsePid('4x2\n')).toBeUndefined();
  });

  it("names its temporary after the writing process, so a killed writer's is swept at once", async () => {
    const { world, portsA, a } = setup();
    const writeFile = vi.spyOn(world.fs, 'writeFile');
    await createPidFileFactory(portsA, a)('/locks/d.pid');
    const temp = writeFile.mock.calls.map(([path]) => path).find((path) => path.endsWith('.pid'))!;
    expect(temp).toMatch(/^\/locks\/\.d\.pid\.lock\./);
    const token = temp.slice('/locks/.d.pid.lock.'.length, -'.pid'.length);
    expect(creatorOfToken(token)).toEqual({ pid: 100, startTime: 1_100, host: hostTag('alpha') });
  });

  it('refuses while the owner lives (ERUNNING with its pid), takes over when it is dead, removes on release', async () => {
    const { world, portsA, portsB, a, b } = setup();
    const pidFileA = createPidFileFactory(portsA, a);
    const pidFileB = createPidFileFactory(portsB, b);
    await pidFileA('/locks/d.pid', { format: 'uuidd' });
    expect(world.fs.readFile('/locks/d.pid')).toBe('     100\n');
    await expect(pidFileB('/locks/d.pid')).rejects.toMatchObject({ code: 'ERUNNING', pid: 100 });
    world.processes.table.delete(100);
    const mine = await pidFileB('/locks/d.pid');
    expect(world.fs.readFile('/locks/d.pid')).toBe('200\n');
    await mine.release();
    expect(() => world.fs.readFile('/locks/d.pid')).toThrow();
  });
});

describe('shared locks', () => {
  function three() {
    const world = fakeWorld();
    const [a, b, c] = [100, 200, 300].map((pid) => createLocker(fakePorts(world, { pid, ...here })));
    return { world, a: a!, b: b!, c: c! };
  }

  it('are held by many at once, and keep an exclusive holder out until the last has released', async () => {
    const { a, b, c } = three();
    const first = await a.acquire('/locks/job', { shared: true });
    const second = await b.acquire('/locks/job', { shared: true });
    const refused = await rejection(c.acquire('/locks/job'));
    expect(refused.code).toBe('ELOCKED');
    expect([100, 200]).toContain(refused.owner?.pid);
    await first.release();
    expect((await rejection(c.acquire('/locks/job'))).code).toBe('ELOCKED');
    await second.release();
    await (await c.acquire('/locks/job')).release();
  });

  it('are refused while an exclusive holder holds the lock', async () => {
    const { a, b } = three();
    const writer = await a.acquire('/locks/job');
    const error = await rejection(b.acquire('/locks/job', { shared: true }));
    expect(error).toMatchObject({ code: 'ELOCKED', owner: { pid: 100 } });
    await writer.release();
    await (await b.acquire('/locks/job', { shared: true })).release();
  });

  it('a waiting writer keeps new shared holders out, and gets the lock when the present ones leave', async () => {
    const { world, a, b, c } = three();
    const reader = await a.acquire('/locks/job', { shared: true });
    const writer = c.acquire('/locks/job', { timeout: 10_000 });
    await drive(world, new Promise((resolve) => world.clock.after(50, () => resolve(undefined))));
    expect(world.fs.readdir('/locks/job.lock').some((name) => name.startsWith('want.'))).toBe(true);
    const late = await rejection(b.acquire('/locks/job', { shared: true }));
    expect(late).toMatchObject({ code: 'ELOCKED', owner: { pid: 300 } });
    await reader.release();
    const held = await drive(world, writer);
    expect(await c.readOwner('/locks/job')).toMatchObject({ pid: 300 });
    expect(world.fs.readdir('/locks/job.lock')).toEqual([expect.stringMatching(/^owner\./)]);
    await held.release();
    expect(world.fs.readdir('/locks')).not.toContain('job.lock');
  });

  it('a writer that gives up takes its place in line back, and shared holders come in again', async () => {
    const { world, a, b, c } = three();
    const reader = await a.acquire('/locks/job', { shared: true });
    expect((await rejection(drive(world, c.acquire('/locks/job', { timeout: 200 })))).code).toBe('ETIMEOUT');
    expect(world.fs.readdir('/locks/job.lock').filter((name) => !name.startsWith('shared.'))).toEqual([]);
    await (await b.acquire('/locks/job', { shared: true })).release();
    await reader.release();
  });

  it('a released shared record waits beside the lock for reuse, and is removed after two idle seconds', async () => {
    const { world, a } = three();
    await (await a.acquire('/locks/job', { shared: true })).release();
    const [parkedName] = world.fs.readdir('/locks');
    expect(parkedName).toMatch(/^\.job\.lock\.[\w-]+\.shared$/);
    const again = await a.acquire('/locks/job', { shared: true });
    expect(world.fs.readdir('/locks')).toEqual(['job.lock']); // the same record moved in: no new file
    expect(world.fs.readdir('/locks/job.lock')).toEqual([`shared.${parkedName!.slice(10, -7)}.json`]);
    await again.release();
    world.clock.advance(2_001);
    await settle();
    expect(world.fs.readdir('/locks')).toEqual([]);
  });

  it('the record of a dead shared holder does not keep a writer out', async () => {
    const { world, a, c } = three();
    await a.acquire('/locks/job', { shared: true });
    world.processes.table.delete(100);
    const writer = await c.acquire('/locks/job');
    expect(decodeLink(world.fs.readlink('/locks/job.lock'))).toMatchObject({ pid: 300 });
    await writer.release();
  });

  it('of two waiting writers one goes first, the other after it, and no shared holder in between', async () => {
    const { world, a, b, c } = three();
    const reader = await a.acquire('/locks/job', { shared: true });
    const order: number[] = [];
    const writers = [b, c].map(async (locker, i) => {
      const lock = await locker.acquire('/locks/job', { timeout: 60_000 });
      order.push(i);
      world.clock.after(100, () => void lock.release());
    });
    await drive(world, new Promise((resolve) => world.clock.after(50, () => resolve(undefined))));
    await reader.release();
    await drive(world, Promise.all(writers));
    expect(order.sort()).toEqual([0, 1]);
  });
});

describe('an asynchronous file system', () => {
  it('a call that hangs holds up only the lock waiting on it: other locks keep their heartbeat', async () => {
    const world = fakeWorld();
    const ports = fakePorts(world, { pid: 100, hostname: 'beta', bootId: 'boot-9' });
    const hanging = new Set<string>();
    const fs = {
      ...ports.fs,
      symlink: (target: string, path: string) =>
        hanging.has(path) ? new Promise<never>(() => {}) : ports.fs.symlink(target, path),
    };
    const locker = createLocker({ ...ports, fs });
    world.fs.mkdir('/nfs');
    const held = await locker.acquire('/locks/job', { stale: 1_000 });
    hanging.add('/nfs/stuck.lock'); // a hung mount: this call never returns
    let settled = false;
    void locker.acquire('/nfs/stuck', { realpath: false }).finally(() => (settled = true));
    const before = world.fs.lstat('/locks/job.lock').mtimeMs;
    world.clock.advance(600); // one heartbeat of the other lock
    await settle();
    expect(world.fs.lstat('/locks/job.lock').mtimeMs).toBeGreaterThan(before);
    expect(settled).toBe(false);
    await held.release();
  });
});
