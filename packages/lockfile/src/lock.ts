import { type Backoff, backoffDelay } from './backoff.js';
import { describeOwner, LockError, type LockErrorCode } from './lock-error.js';
import { decodeOwner, encodeOwner, type LockOwner, ownerFileName, tokenOfFileName } from './owner.js';
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
  /** Ms to keep trying while the lock is held; 0 tries once and fails at once with `ELOCKED`. @default 0 */
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

/** What `isLocked` takes. */
export interface IsLockedOptions {
  /** As {@link AcquireOptions.stale}. @default 10000 */
  readonly stale?: number;
}

const DEFAULT_STALE = 10_000;
const CONTENDED = new Set(['ENOTEMPTY', 'EEXIST']);

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
}

function checkNonNegative(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`lockfile: option ${name} must be a non-negative number of ms, got ${String(value)}`);
  }
}

/** The part of a held lock the package itself uses (pid files, exit handlers). */
export interface HeldLock extends LockHandle {
  /** Releases synchronously (from an exit or signal handler). */
  releaseNow(): void;
}

class Acquisition implements HeldLock {
  readonly path: string;
  readonly lockPath: string;
  readonly #ports: LockPorts;
  readonly #ownerFile: string;
  readonly #controller = new AbortController();
  readonly #onCompromised: ((error: LockError) => void) | undefined;
  readonly #stopHeartbeat: () => void;
  readonly #forget: () => void;
  #owner: LockOwner;
  #released = false;

  constructor(ports: LockPorts, path: string, owner: LockOwner, options: AcquireOptions, stale: number) {
    this.#ports = ports;
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.#owner = owner;
    this.#ownerFile = `${this.lockPath}/${ownerFileName(owner.token)}`;
    this.#onCompromised = options.onCompromised;
    const update = options.update ?? stale / 2;
    this.#stopHeartbeat = ports.clock.every(Math.max(1, update), () => this.#beat());
    this.#forget = ports.held?.hold(() => this.releaseNow()) ?? (() => {});
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  #beat(): void {
    try {
      this.#ports.fs.utimes(this.#ownerFile, this.#ports.clock.now());
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') {
        this.#compromise('its owner record was removed (was it judged stale?)');
      }
      // Other failures (a full or flaky disk) are retried at the next beat.
    }
  }

  #compromise(why: string): void {
    this.#stopHeartbeat();
    if (this.#controller.signal.aborted) return;
    const error = new LockError('ECOMPROMISED', `lock ${this.lockPath} was compromised: ${why}`, {
      lockPath: this.lockPath,
    });
    this.#controller.abort(error);
    try {
      this.#onCompromised?.(error);
    } catch {
      // A callback's failure must not surface from a timer; the aborted signal still tells the holder.
    }
  }

  async adopt(pid: number): Promise<void> {
    if (!Number.isSafeInteger(pid) || pid <= 0)
      throw new TypeError(`lockfile: adopt() needs a pid, got ${pid}`);
    if (this.#released) {
      throw new LockError('ERELEASED', `lock ${this.lockPath} was already released`, {
        lockPath: this.lockPath,
      });
    }
    this.#controller.signal.throwIfAborted();
    const owner: LockOwner = {
      ...this.#owner,
      adopted: [...(this.#owner.adopted ?? []), { pid, startTime: this.#ports.probe.startTime(pid) }],
    };
    const { fs } = this.#ports;
    const temp = `${this.lockPath}.${owner.token}.adopt`;
    fs.writeFile(temp, encodeOwner(owner));
    try {
      fs.stat(this.#ownerFile); // still ours: replace the record atomically, never a half-written one
      fs.rename(temp, this.#ownerFile);
    } catch (error) {
      try {
        fs.unlink(temp);
      } catch {}
      if (errnoOf(error) === 'ENOENT') {
        this.#compromise('its owner record was removed');
        throw this.#controller.signal.reason;
      }
      throw error;
    }
    this.#owner = owner;
  }

  releaseNow(): void {
    if (this.#released) return;
    this.#released = true;
    this.#stopHeartbeat();
    this.#forget();
    const { fs } = this.#ports;
    try {
      fs.unlink(this.#ownerFile);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') {
        this.#compromise('its owner record was gone at release');
        return;
      }
      throw error;
    }
    try {
      fs.rmdir(this.lockPath);
    } catch {
      // ENOTEMPTY: a contender already moved its own lock into the emptied directory, which is now its lock.
    }
  }

  async release(): Promise<void> {
    this.releaseNow();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.releaseNow();
  }
}

/** The platform-neutral lock operations over the given ports (the `./node` entry binds them for Node). */
export interface Locker {
  acquire(path: string, options?: AcquireOptions): Promise<HeldLock>;
  withLock<T>(path: string, fn: (lock: LockHandle) => Promise<T> | T, options?: AcquireOptions): Promise<T>;
  isLocked(path: string, options?: IsLockedOptions): Promise<boolean>;
  readOwner(path: string): Promise<LockOwner | undefined>;
}

type Inspection = { kind: 'absent' } | { kind: 'entries'; entries: LockEntry[] };

/**
 * Creates the lock operations over `ports`.
 *
 * A lock on `path` is the directory `${path}.lock` holding one owner record `owner.<token>.json`. It is
 * acquired by building a complete lock directory under a unique name beside it and renaming it into place (a
 * directory can replace only an empty one, so exactly one contender wins and nobody ever sees a lock without
 * its record). A stale lock is taken over by unlinking its token-named record: only one contender can, and only
 * the very record judged stale can go, never a newer lock that replaced it. The emptied directory is then free.
 */
export function createLocker(ports: LockPorts): Locker {
  const { fs } = ports;
  let selfStart: number | undefined | null = null;

  function fsFailure(error: unknown, lockPath: string, doing: string): LockError {
    const code = errnoOf(error);
    const mapped: LockErrorCode =
      code === 'ENOENT'
        ? 'ENOENT'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'EACCES'
          : 'EIO';
    const where = parentOf(lockPath);
    const message =
      mapped === 'ENOENT'
        ? `cannot ${doing} ${lockPath}: directory ${where} does not exist`
        : mapped === 'EACCES'
          ? `cannot ${doing} ${lockPath}: no permission to write in ${where}`
          : `cannot ${doing} ${lockPath}: ${error instanceof Error ? error.message : String(error)}`;
    return new LockError(mapped, message, { lockPath, cause: error });
  }

  function notADirectory(lockPath: string): LockError {
    return new LockError(
      'ENOTDIR',
      `${lockPath} exists and is not a lock directory; remove it if nothing uses it`,
      { lockPath },
    );
  }

  function inspect(lockPath: string): Inspection {
    let names: string[];
    try {
      names = fs.readdir(lockPath);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') return { kind: 'absent' };
      if (code === 'ENOTDIR') throw notADirectory(lockPath);
      throw fsFailure(error, lockPath, 'inspect');
    }
    const entries: LockEntry[] = [];
    for (const name of names) {
      const file = `${lockPath}/${name}`;
      const token = tokenOfFileName(name);
      try {
        const { mtimeMs } = fs.stat(file);
        const owner = token === undefined ? undefined : decodeOwner(fs.readFile(file), token);
        entries.push({ name, token, owner, mtimeMs });
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw fsFailure(error, lockPath, 'inspect');
        // Gone while we looked: released or taken over.
      }
    }
    return { kind: 'entries', entries };
  }

  function removeEntry(lockPath: string, entry: LockEntry): void {
    const file = `${lockPath}/${entry.name}`;
    try {
      fs.unlink(file);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') return; // another contender removed it first
      if (code === 'EISDIR' || code === 'EPERM') {
        try {
          fs.rmdir(file);
        } catch {}
        return;
      }
      throw fsFailure(error, lockPath, 'take over');
    }
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
    const token = ports.random.token();
    const temp = `${lockPath}.${token}`;
    try {
      fs.mkdir(temp);
    } catch (error) {
      throw fsFailure(error, lockPath, 'create');
    }
    if (selfStart === null) selfStart = ports.probe.startTime(ports.host.pid);
    const owner: LockOwner = {
      pid: ports.host.pid,
      startTime: selfStart,
      hostname: ports.host.hostname,
      bootId: ports.host.bootId,
      token,
      created: ports.clock.now(),
    };
    const record = `${temp}/${ownerFileName(token)}`;
    let placed = false;
    try {
      fs.writeFile(record, encodeOwner(owner));
      for (let round = 0; round < 4; round++) {
        try {
          fs.rename(temp, lockPath);
          placed = true;
          return new Acquisition(ports, path, owner, options, stale);
        } catch (error) {
          const code = errnoOf(error);
          if (code === 'ENOTDIR') throw notADirectory(lockPath);
          if (code === undefined || !CONTENDED.has(code)) throw fsFailure(error, lockPath, 'create');
        }
        const found = inspect(lockPath);
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
        for (const entry of found.entries) removeEntry(lockPath, entry);
      }
      return { holder: undefined };
    } finally {
      if (!placed) {
        try {
          fs.unlink(record);
        } catch {}
        try {
          fs.rmdir(temp);
        } catch {}
      }
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
    const found = inspect(`${path}.lock`);
    if (found.kind === 'absent') return false;
    const staleness = new Staleness(ports, options.stale ?? DEFAULT_STALE);
    return found.entries.some((entry) => !staleness.isStale(entry));
  }

  async function readOwner(path: string): Promise<LockOwner | undefined> {
    const found = inspect(`${path}.lock`);
    return found.kind === 'absent' ? undefined : ownerOf(found.entries);
  }

  return { acquire, withLock, isLocked, readOwner };
}
