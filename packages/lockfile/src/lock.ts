import { Acquisition } from './acquisition.js';
import { type Backoff, backoffDelay } from './backoff.js';
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
  /** Instead of `timeout`: how many more tries after the first, with exponential backoff and jitter. */
  readonly retries?: number;
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

/** The part of a held lock the package itself uses (pid files, exit handlers). */
export interface HeldLock extends LockHandle {
  /** Releases synchronously (from an exit or signal handler). */
  releaseNow(): void;
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
  readOwner(path: string): Promise<LockOwner | undefined>;
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

  function takeSpare(lockPath: string, staleness: Staleness, stale: number): Spare {
    const idle = spares.get(lockPath);
    if (idle !== undefined) {
      idle.cancel();
      spares.delete(lockPath);
      return idle.spare;
    }
    dir.sweep(lockPath, staleness, stale);
    if (!sparesHeld) {
      // Idle spares go when the process does.
      sparesHeld = true;
      ports.held?.hold(() => {
        exiting = true;
        for (const { spare } of spares.values()) dir.destroy(spare.dir, spare.record);
        spares.clear();
      });
    }
    const owner = newOwner();
    return dir.createSpare(lockPath, owner, encodeOwner(owner));
  }

  function returnSpare(lockPath: string, spare: Spare): void {
    if (exiting || spares.has(lockPath)) {
      dir.destroy(spare.dir, spare.record);
      return;
    }
    const cancel = ports.clock.after(SPARE_LINGER, () => {
      if (spares.get(lockPath)?.spare !== spare) return;
      spares.delete(lockPath);
      dir.destroy(spare.dir, spare.record);
    });
    spares.set(lockPath, { spare, cancel });
  }

  function ownerOf(entries: readonly LockEntry[]): LockOwner | undefined {
    return entries.find((entry) => entry.owner !== undefined)?.owner;
  }

  /** One try: a held lock, or the holder (undefined when unknown or when we lost a race and should retry). */
  function attempt(
    path: string,
    options: AcquireOptions,
    stale: number,
    staleness: Staleness,
  ): Acquisition | { holder: LockOwner | undefined } {
    const lockPath = `${path}.lock`;
    let spare: Spare | undefined;
    let placed = false;
    try {
      for (let round = 0; round < 4; round++) {
        spare ??= takeSpare(lockPath, staleness, stale);
        try {
          // A fresh heartbeat before the record becomes visible, so that no other host finds it old; and the
          // directory's mtime says when this acquisition happened (the record may be reused from a previous one).
          const now = ports.clock.now();
          fs.utimes(spare.record, now);
          fs.utimes(spare.dir, now);
          fs.rename(spare.dir, lockPath);
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
            dir.destroy(spare.dir, spare.record);
            spare = undefined;
            continue;
          }
          if (code === undefined || !CONTENDED.has(code)) throw dir.failure(error, lockPath, 'create');
        }
        const found = dir.inspect(lockPath);
        if (found.kind === 'absent') continue;
        if (found.entries.length === 0) {
          // An empty directory is a free lock; where rename cannot replace it, remove it first.
          try {
            fs.rmdir(lockPath);
          } catch {}
          continue;
        }
        const live = found.entries.filter((entry) => !staleness.isStale(entry));
        if (live.length > 0) return { holder: ownerOf(live) };
        for (const entry of found.entries) dir.remove(lockPath, entry);
      }
      return { holder: undefined };
    } finally {
      if (!placed && spare !== undefined) returnSpare(lockPath, spare);
    }
  }

  async function acquire(path: string, options: AcquireOptions = {}): Promise<HeldLock> {
    checkNonNegative('stale', options.stale);
    checkNonNegative('update', options.update);
    checkNonNegative('timeout', options.timeout);
    checkNonNegative('retries', options.retries);
    const stale = options.stale ?? DEFAULT_STALE;
    const timeout = options.timeout ?? 0;
    const lockPath = `${path}.lock`;
    const staleness = new Staleness(ports, stale);
    const started = ports.clock.monotonic();
    const aborted = () =>
      new LockError('EABORTED', `waiting for lock ${lockPath} was aborted`, {
        lockPath,
        cause: options.signal?.reason,
      });
    for (let tries = 0; ; tries++) {
      if (options.signal?.aborted) throw aborted();
      const result = attempt(path, options, stale, staleness);
      if (result instanceof Acquisition) return result;
      const holder = result.holder;
      const held = `lock ${lockPath} is held by ${describeOwner(holder, ports.host.hostname)}`;
      const waited = ports.clock.monotonic() - started;
      if (options.retries !== undefined ? tries >= options.retries : waited >= timeout) {
        if (options.retries === undefined && timeout > 0) {
          throw new LockError('ETIMEOUT', `timed out after ${timeout} ms: ${held}`, {
            lockPath,
            owner: holder,
          });
        }
        throw new LockError('ELOCKED', held, { lockPath, owner: holder });
      }
      let delay = backoffDelay(tries, options.backoff, ports.random.fraction());
      if (options.retries === undefined) delay = Math.min(delay, Math.max(0, timeout - waited));
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
      lock.releaseNow();
    }
  }

  async function isLocked(path: string, options: IsLockedOptions = {}): Promise<boolean> {
    checkNonNegative('stale', options.stale);
    const found = dir.inspect(`${path}.lock`);
    if (found.kind === 'absent') return false;
    const staleness = new Staleness(ports, options.stale ?? DEFAULT_STALE);
    return found.entries.some((entry) => !staleness.isStale(entry));
  }

  async function readOwner(path: string): Promise<LockOwner | undefined> {
    const found = dir.inspect(`${path}.lock`);
    return found.kind === 'absent' ? undefined : ownerOf(found.entries);
  }

  return { acquire, withLock, isLocked, readOwner };
}
