import { Acquisition } from './acquisition.js';
import { type Backoff, type RetryOptions, retryPolicy } from './backoff.js';
import { errnoOf, LockDir, type Spare } from './lock-dir.js';
import { describeOwner, LockError } from './lock-error.js';
import { encodeOwner, type LockOwner, ownToken } from './owner.js';
import type { LockPorts } from './ports.js';
import { type LockEntry, Staleness } from './staleness.js';

/**
 * How to acquire a lock.
 * @example
 * await acquire('/srv/mirror/job', { timeout: 30_000, stale: 60_000, onCompromised: (e) => log(e.message) });
 */
export interface AcquireOptions {
  /**
   * Across hosts, a lock whose heartbeat is older than this many ms is stale (on the owner's host its liveness
   * decides instead). Also the age after which a corrupt owner record counts as stale.
   * @default 10000
   */
  readonly stale?: number;
  /** Ms between heartbeats (which also detect a compromised lock). @default stale / 2 */
  readonly update?: number;
  /**
   * Ms to keep trying while the lock is held; 0 tries once and fails at once with `ELOCKED`; `Infinity` waits
   * for as long as it takes (or until `signal` aborts).
   * @default 0
   */
  readonly timeout?: number;
  /**
   * Instead of `timeout`: how many more tries after the first, with exponential backoff and jitter (`backoff`);
   * or proper-lockfile's form, the options of the `retry` package: `{ retries, factor, minTimeout, maxTimeout,
   * randomize, forever, maxRetryTime }`, with that package's defaults (10 retries, factor 2, from 1000 ms).
   */
  readonly retries?: number | RetryOptions;
  /**
   * Resolve symbolic links in `path` (of `path` itself when it exists, else of its directory), so that a path
   * and a symbolic link to it are one lock, as in proper-lockfile.
   * @default true
   */
  readonly realpath?: boolean;
  /** Bounds of the waits between tries. @default { min: 1, max: 100 } */
  readonly backoff?: Backoff;
  /** Aborts the wait (rejects with `EABORTED`); it does not release a lock already held. */
  readonly signal?: AbortSignal;
  /** Called (once) if the lock is removed or replaced behind our back; the handle's `signal` aborts too. */
  readonly onCompromised?: (error: LockError) => void;
}

/**
 * A held lock. Release it with `release()`, or hold it for a block with `await using`.
 * @example
 * await using lock = await acquire('/srv/data/counter');
 * lock.signal.throwIfAborted(); // before a step that must not run unless we still hold the lock
 */
export interface LockHandle {
  /** The path that was locked. */
  readonly path: string;
  /** The lock directory: `${path}.lock`. */
  readonly lockPath: string;
  /** Aborted, with an `ECOMPROMISED` LockError as reason, if the lock is removed or replaced behind our back. */
  readonly signal: AbortSignal;
  /**
   * Records that process `pid` also keeps the lock alive: the lock counts as stale only once this process and
   * every adopted pid are dead (e.g. a child that must stay protected if we are killed).
   */
  adopt(pid: number): Promise<void>;
  /** Removes the lock if our token is still in it. Idempotent. */
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * What `isLocked` takes.
 * @example
 * await isLocked('/srv/job', { stale: 60_000 });
 */
export interface IsLockedOptions {
  /** As {@link AcquireOptions.stale}. @default 10000 */
  readonly stale?: number;
  /** As {@link AcquireOptions.realpath}. @default true */
  readonly realpath?: boolean;
}

const DEFAULT_STALE = 10_000;
/** How long a released lock's directory is kept for reuse before it is removed. */
const SPARE_LINGER = 2_000;
const CONTENDED = new Set(['ENOTEMPTY', 'EEXIST']);

function checkNonNegative(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0)) {
    throw new TypeError(`lockfile: option ${name} must be a non-negative number of ms, got ${String(value)}`);
  }
}

/** What the package itself uses of a held lock (pid files). */
export interface HeldLock extends LockHandle {
  /** Releases synchronously, from an exit or signal handler. */
  releaseAtExit(): void;
}

/**
 * The platform-neutral lock operations over the given ports (the `./node` entry binds them for Node).
 * @example
 * const { acquire, withLock, isLocked, readOwner } = createLocker(ports);
 */
export interface Locker {
  acquire(path: string, options?: AcquireOptions): Promise<HeldLock>;
  withLock<T>(path: string, fn: (lock: LockHandle) => Promise<T> | T, options?: AcquireOptions): Promise<T>;
  isLocked(path: string, options?: IsLockedOptions): Promise<boolean>;
  readOwner(path: string, options?: Pick<IsLockedOptions, 'realpath'>): Promise<LockOwner | undefined>;
}

/**
 * Creates the lock operations over `ports`.
 *
 * A lock on `path` is the directory `${path}.lock` holding one owner record `owner.<token>.json`. It is
 * acquired by renaming a complete lock directory, built beside it under a unique name, into place: a directory
 * can replace only an empty one, so exactly one contender wins and nobody ever sees a lock without its record.
 * A stale lock is taken over by unlinking its token-named record: only one contender can, and only the very
 * record judged stale can go, never a newer lock that replaced it; the emptied directory is free. On release
 * the directory is renamed back beside the lock (hidden) and reused for a while, so that locking again soon
 * costs no new files.
 * @example
 * import { createLocker } from '@suite/lockfile';
 * import { nodeLockPorts } from '@suite/lockfile/node';
 * // The Node ports with one replaced, e.g. a probe that also asks a container runtime whether a pid lives.
 * const locker = createLocker({ ...nodeLockPorts, probe: myProbe });
 * await locker.withLock('/srv/job', run);
 */
export function createLocker(ports: LockPorts): Locker {
  const { fs } = ports;
  const dir = new LockDir(ports);
  const spares = new Map<string, { spare: Spare; cancel: () => void }>();
  let selfStart: number | undefined | null = null;
  let sparesHeld = false;
  let exiting = false;

  function newOwner(): LockOwner {
    if (selfStart === null) selfStart = ports.probe.startTime(ports.host.pid);
    return {
      pid: ports.host.pid,
      startTime: selfStart,
      hostname: ports.host.hostname,
      bootId: ports.host.bootId,
      token: ownToken(ports, selfStart),
      created: ports.clock.now(),
    };
  }

  async function takeSpare(lockPath: string, staleness: Staleness, stale: number): Promise<Spare> {
    const idle = spares.get(lockPath);
    if (idle !== undefined) {
      idle.cancel();
      spares.delete(lockPath);
      return idle.spare;
    }
    await dir.sweep(lockPath, staleness, stale);
    if (!sparesHeld) {
      // Idle spares go when the process does.
      sparesHeld = true;
      ports.held?.hold(() => {
        exiting = true;
        for (const { spare } of spares.values()) dir.destroyAtExit(spare.dir, spare.record);
        spares.clear();
      });
    }
    const owner = newOwner();
    return dir.createSpare(lockPath, owner, encodeOwner(owner));
  }

  function returnSpare(lockPath: string, spare: Spare): void {
    if (exiting || spares.has(lockPath)) {
      void dir.destroy(spare.dir, spare.record);
      return;
    }
    const cancel = ports.clock.after(SPARE_LINGER, () => {
      if (spares.get(lockPath)?.spare !== spare) return;
      spares.delete(lockPath);
      void dir.destroy(spare.dir, spare.record);
    });
    spares.set(lockPath, { spare, cancel });
  }

  function ownerOf(entries: readonly LockEntry[]): LockOwner | undefined {
    return entries.find((entry) => entry.owner !== undefined)?.owner;
  }

  /** Whether anything is at `lockPath` (what is there is for `inspect` to say). */
  async function occupied(lockPath: string): Promise<boolean> {
    try {
      await fs.stat(lockPath);
      return true;
    } catch (error) {
      return errnoOf(error) !== 'ENOENT';
    }
  }

  /**
   * One try: a held lock, or who holds it (`holder` undefined when unknown or when we lost a race and should
   * retry; `empty` when an empty lock directory younger than `stale` holds it, as proper-lockfile makes).
   */
  async function attempt(
    path: string,
    options: AcquireOptions,
    stale: number,
    staleness: Staleness,
  ): Promise<Acquisition | { holder: LockOwner | undefined; empty?: boolean }> {
    const lockPath = `${path}.lock`;
    let spare: Spare | undefined;
    let placed = false;
    // Right after we emptied the lock directory ourselves (a takeover) we rename onto it without looking.
    let emptied = false;
    let empty = false;
    let now = 0;
    try {
      for (let round = 0; round < 4; round++) {
        spare ??= await takeSpare(lockPath, staleness, stale);
        // A fresh heartbeat before the record becomes visible, so that no other host finds it old; and the
        // directory's mtime says when this acquisition happened (the record may be reused from a previous one).
        // We rename only onto nothing: a rename would also replace an empty directory, which is proper-lockfile's
        // live lock while its mtime is fresh.
        let busy = false;
        try {
          // Right after a takeover the spare was touched in the round before: rename at once, as the others
          // wait while they find the directory empty.
          if (!emptied) {
            now = ports.clock.now();
            [busy] = await Promise.all([
              occupied(lockPath),
              fs.utimes(spare.record, now),
              fs.utimes(spare.dir, now),
            ]);
          }
        } catch (error) {
          if (errnoOf(error) !== 'ENOENT') throw dir.failure(error, lockPath, 'create');
          // Our spare was removed (another host's sweep, a cleanup): build another one.
          await dir.destroy(spare.dir, spare.record);
          spare = undefined;
          continue;
        }
        emptied = false;
        if (!busy) {
          try {
            await fs.rename(spare.dir, lockPath);
            const held = new Acquisition(ports, dir, path, spare, now, options, stale, (back) =>
              returnSpare(lockPath, back),
            );
            placed = true;
            return held;
          } catch (error) {
            const code = errnoOf(error);
            if (code === 'ENOTDIR') throw dir.notADirectory(lockPath);
            if (code === 'ENOENT') {
              // Our spare was removed (another host's sweep, a cleanup): build another one.
              await dir.destroy(spare.dir, spare.record);
              spare = undefined;
              continue;
            }
            if (code === undefined || !CONTENDED.has(code)) throw dir.failure(error, lockPath, 'create');
          }
        }
        const found = await dir.inspect(lockPath);
        if (found.kind === 'absent') continue;
        if (found.entries.length > 0) empty = false;
        if (found.entries.length === 0) {
          // An empty directory: proper-lockfile's lock (it keeps the mtime fresh), or a takeover under way (whose
          // record the next look finds).
          if (ports.clock.now() - found.mtimeMs <= stale) {
            empty = true;
            await ports.clock.sleep(2 ** round, options.signal).catch(() => {});
            continue;
          }
          try {
            await fs.rmdir(lockPath);
          } catch {}
          continue;
        }
        const live = found.entries.filter((entry) => !staleness.isStale(entry));
        if (live.length > 0) return { holder: ownerOf(live) };
        empty = false;
        for (const entry of found.entries) await dir.remove(lockPath, entry);
        emptied = true;
      }
      return { holder: undefined, empty };
    } finally {
      if (!placed && spare !== undefined) returnSpare(lockPath, spare);
    }
  }

  /** The path the lock is named after: with `realpath`, symbolic links resolved as far as the path exists. */
  async function canonical(path: string, realpath: boolean | undefined): Promise<string> {
    if (realpath === false) return path;
    try {
      return await fs.realpath(path);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') return path;
    }
    // The path need not exist, only its directory (a dangling symbolic link is left as it is).
    const slash = path.lastIndexOf('/');
    if (slash < 0) return path;
    try {
      const parent = await fs.realpath(slash === 0 ? '/' : path.slice(0, slash));
      return `${parent === '/' ? '' : parent}/${path.slice(slash + 1)}`;
    } catch {
      return path;
    }
  }

  async function acquire(path: string, options: AcquireOptions = {}): Promise<HeldLock> {
    checkNonNegative('stale', options.stale);
    checkNonNegative('update', options.update);
    checkNonNegative('timeout', options.timeout);
    const policy = retryPolicy(options.retries, options.backoff);
    const counted = options.retries !== undefined;
    const stale = options.stale ?? DEFAULT_STALE;
    const timeout = options.timeout ?? 0;
    const target = await canonical(path, options.realpath);
    const lockPath = `${target}.lock`;
    const staleness = new Staleness(ports, stale);
    const started = ports.clock.monotonic();
    const aborted = () =>
      new LockError('EABORTED', `waiting for lock ${lockPath} was aborted`, {
        lockPath,
        cause: options.signal?.reason,
      });
    for (let tries = 0; ; tries++) {
      if (options.signal?.aborted) throw aborted();
      const result = await attempt(target, options, stale, staleness);
      if (result instanceof Acquisition) return result;
      const holder = result.holder;
      const by = result.empty
        ? 'another program (an empty lock directory, as proper-lockfile makes, younger than `stale`)'
        : describeOwner(holder, ports.host.hostname);
      const held = `lock ${lockPath} is held by ${by}`;
      const waited = ports.clock.monotonic() - started;
      const giveUp = counted ? tries >= policy.retries || waited >= policy.maxTime : waited >= timeout;
      if (giveUp) {
        if (!counted && timeout > 0) {
          throw new LockError('ETIMEOUT', `timed out after ${timeout} ms: ${held}`, {
            lockPath,
            owner: holder,
          });
        }
        throw new LockError('ELOCKED', held, { lockPath, owner: holder });
      }
      let delay = policy.delay(tries, ports.random.fraction());
      if (!counted) delay = Math.min(delay, Math.max(0, timeout - waited));
      try {
        await ports.clock.sleep(delay, options.signal);
      } catch {
        throw aborted();
      }
    }
  }

  async function withLock<T>(
    path: string,
    fn: (lock: LockHandle) => Promise<T> | T,
    options?: AcquireOptions,
  ): Promise<T> {
    const lock = await acquire(path, options);
    try {
      return await fn(lock);
    } finally {
      await lock.release();
    }
  }

  async function isLocked(path: string, options: IsLockedOptions = {}): Promise<boolean> {
    checkNonNegative('stale', options.stale);
    const stale = options.stale ?? DEFAULT_STALE;
    const found = await dir.inspect(`${await canonical(path, options.realpath)}.lock`);
    if (found.kind === 'absent') return false;
    if (found.entries.length === 0) return ports.clock.now() - found.mtimeMs <= stale;
    const staleness = new Staleness(ports, stale);
    return found.entries.some((entry) => !staleness.isStale(entry));
  }

  async function readOwner(
    path: string,
    options: Pick<IsLockedOptions, 'realpath'> = {},
  ): Promise<LockOwner | undefined> {
    const found = await dir.inspect(`${await canonical(path, options.realpath)}.lock`);
    return found.kind === 'absent' ? undefined : ownerOf(found.entries);
  }

  return { acquire, withLock, isLocked, readOwner };
}
