import { Acquisition } from './acquisition.js';
import { type Backoff, type RetryOptions, retryPolicy } from './backoff.js';
import { errnoOf, LockDir, spareName } from './lock-dir.js';
import { describeOwner, LockError } from './lock-error.js';
import {
  encodeLink,
  encodeOwner,
  type LockOwner,
  ownerFileName,
  ownToken,
  parseRecordName,
} from './owner.js';
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
  /**
   * A shared lock: any number of shared holders at once, or one exclusive holder. An exclusive `acquire` that
   * finds shared holders puts a `want` record in the lock: new shared holders wait behind it, so a writer gets the
   * lock once the shared holders present have released theirs, however many more keep coming.
   * @default false
   */
  readonly shared?: boolean;
  /** Aborts the wait (rejects with `EABORTED`); it does not release a lock already held. */
  readonly signal?: AbortSignal;
  /** Called (once) if the lock is removed or replaced behind our back; the handle's `signal` aborts too. */
  readonly onCompromised?: (error: LockError) => void;
  /**
   * Pids adopted from the start (an exclusive lock only): the record names them as `adopt()` would, so the lock
   * stays alive while any of them lives, without the two extra calls per pid that `adopt()` costs afterwards.
   * For a process that outlives its children, e.g. a resident helper that forks jobs and waits for them.
   * @example
   * await acquire('/srv/job', { timeout: 0, adopted: [helper.pid] });
   */
  readonly adopted?: readonly number[];
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

/** What one acquire call keeps across its tries. */
interface Pending {
  /** The owner we write (the lock link's target, shared records and `want` records). */
  owner?: LockOwner;
  /** Our `want` record inside the lock directory, while we wait for shared holders to leave. */
  want?: string | undefined;
  /** Our shared record's temporary beside the lock, until it is moved in. */
  temp?: string | undefined;
}
/** How long a released shared record is kept beside the lock for reuse before it is removed. */
const SPARE_LINGER = 2_000;
const CONTENDED = new Set(['ENOTEMPTY', 'EEXIST']);
/** Waits on an empty lock directory (proper-lockfile's lock, which a takeover under way also shows) per try. */
const IDLE_ROUNDS = 4;
/** Rounds of one try at most (each one that is not a wait removed something stale or found the lock gone). */
const MAX_ROUNDS = 32;

function checkNonNegative(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0)) {
    throw new TypeError(`lockfile: option ${name} must be a non-negative number of ms, got ${String(value)}`);
  }
}

/**
 * A lock that `Locker.acquire` returns: a {@link LockHandle} that can also be released synchronously, from an exit
 * or signal handler (what the package's pid files use).
 * @example
 * const lock: HeldLock = await createLocker(ports).acquire('/var/run/job');
 * process.on('exit', () => lock.releaseAtExit());
 */
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
 * An exclusive lock on `path` is the symbolic link `${path}.lock` whose target is the owner record: creating it is
 * one atomic call that fails if anything is there, so exactly one contender wins and nobody ever sees a lock
 * without its record; release reads the link back and unlinks it if it still carries our record. A stale link is
 * taken over by the one contender that creates its takeover marker first. Shared locks (and a writer that waited
 * for shared holders) use a lock directory `${path}.lock` holding one record per holder, as the earlier format
 * of this library did for every lock; proper-lockfile's lock is an empty directory there.
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
  /**
   * Shared records given back on release, beside the lock under their temporary name, reused by the next shared
   * lock on the same path within two seconds: joining and leaving the shared holders then creates no inodes.
   */
  const parked = new Map<string, { owner: LockOwner; temp: string; cancel: () => void }>();
  let selfStart: number | undefined | null = null;
  let parkedHeld = false;
  let exiting = false;
  /**
   * This process's acquisitions waiting for a lock path, woken as soon as this process releases that path (another
   * process's release is found by the next try, after the backoff wait).
   */
  const waiting = new Map<string, Set<() => void>>();
  const released = (lockPath: string) => () => {
    for (const wake of waiting.get(lockPath) ?? []) wake();
  };
  /** Waits `ms`, or less if this process releases `lockPath` meanwhile; rejects when `signal` aborts. */
  async function backOff(lockPath: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal?.addEventListener('abort', stop, { once: true });
    const woken = waiting.get(lockPath) ?? new Set<() => void>();
    waiting.set(lockPath, woken);
    woken.add(stop);
    try {
      await ports.clock.sleep(ms, controller.signal).catch(() => {});
      signal?.throwIfAborted();
    } finally {
      signal?.removeEventListener('abort', stop);
      woken.delete(stop);
      if (woken.size === 0) waiting.delete(lockPath);
    }
  }
  /** Lock paths whose neighbourhood this process has swept (on the first contention for each). */
  const swept = new Set<string>();

  /** Start times of the pids given as `adopted`, read once per pid. */
  const startTimes = new Map<number, number | undefined>();
  function adoptedRefs(pids: readonly number[]): LockOwner['adopted'] {
    return pids.map((pid) => {
      if (!Number.isSafeInteger(pid) || pid <= 0)
        throw new TypeError(`lockfile: adopted needs pids, got ${pid}`);
      if (!startTimes.has(pid)) startTimes.set(pid, ports.probe.startTime(pid));
      return { pid, startTime: startTimes.get(pid) };
    });
  }

  function newOwner(adopted?: readonly number[]): LockOwner {
    if (selfStart === null) selfStart = ports.probe.startTime(ports.host.pid);
    return {
      ...(adopted?.length ? { adopted: adoptedRefs(adopted), pids: [...adopted] } : {}),
      pid: ports.host.pid,
      startTime: selfStart,
      hostname: ports.host.hostname,
      bootId: ports.host.bootId,
      token: ownToken(ports, selfStart),
      created: ports.clock.now(),
    };
  }

  /** Parked shared records go when the process does. */
  function cleanUpAtExit(): void {
    if (parkedHeld) return;
    parkedHeld = true;
    ports.held?.hold(() => {
      exiting = true;
      for (const { temp } of parked.values()) {
        try {
          fs.atExit.unlink(temp);
        } catch {}
      }
      parked.clear();
    });
  }

  /** Sweeps what killed processes left beside the lock, once per path and process, off the fast path. */
  async function sweepOnce(lockPath: string, staleness: Staleness, stale: number): Promise<void> {
    if (swept.has(lockPath)) return;
    swept.add(lockPath);
    await dir.sweep(lockPath, staleness, stale);
  }

  function park(lockPath: string, owner: LockOwner, temp: string): void {
    if (exiting || parked.has(lockPath)) {
      void fs.unlink(temp).catch(() => {});
      return;
    }
    const cancel = ports.clock.after(SPARE_LINGER, () => {
      if (parked.get(lockPath)?.temp !== temp) return;
      parked.delete(lockPath);
      void fs.unlink(temp).catch(() => {});
    });
    parked.set(lockPath, { owner, temp, cancel });
  }

  /** A parked shared record of `lockPath`, if there is one, for a new shared acquisition. */
  function unpark(lockPath: string, pending: Pending): void {
    const idle = parked.get(lockPath);
    if (idle === undefined) return;
    idle.cancel();
    parked.delete(lockPath);
    pending.owner = idle.owner;
    pending.temp = idle.temp;
  }

  function ownerOf(entries: readonly LockEntry[]): LockOwner | undefined {
    return entries.find((entry) => entry.owner !== undefined)?.owner;
  }

  /** What one try found instead of a lock: who holds it, if known; `empty` for proper-lockfile's kind of lock. */
  type Refusal = { holder: LockOwner | undefined; empty?: boolean };

  /** A refusal, after waiting a little when the directory was empty (a takeover under way shows its record soon). */
  async function emptyDirectory(round: number, signal: AbortSignal | undefined): Promise<void> {
    await ports.clock.sleep(2 ** round, signal).catch(() => {});
  }

  /**
   * One try for an exclusive lock: a held lock, or who holds it (`holder` undefined when unknown or when we lost a
   * race and should retry; `empty` when an empty lock directory younger than `stale` holds it, as proper-lockfile
   * makes). The fast path is one call: the lock link, carrying our record, created where nothing is. Anything
   * else is looked at: a stale link is taken over; in a lock directory, shared holders are waited for behind a
   * `want` record that keeps new shared holders out, stale records are removed, and an emptied directory too.
   */
  async function attempt(
    path: string,
    options: AcquireOptions,
    stale: number,
    staleness: Staleness,
    pending: Pending,
  ): Promise<Acquisition | Refusal> {
    const lockPath = `${path}.lock`;
    // The markers of a takeover of a stale lock directory that we claimed: kept until this try ends (won or lost
    // to a live holder), so that a contender meeting the directory emptied meanwhile knows a takeover is under way.
    const claims: string[] = [];
    try {
      return await attemptRounds(path, lockPath, options, stale, staleness, pending, claims);
    } finally {
      if (claims.length > 0) await dir.unclaim(claims);
    }
  }

  async function attemptRounds(
    path: string,
    lockPath: string,
    options: AcquireOptions,
    stale: number,
    staleness: Staleness,
    pending: Pending,
    claims: string[],
  ): Promise<Acquisition | Refusal> {
    let empty = false;
    // A round that changed something (a stale lock removed, the lock found gone) is followed by another: a try
    // gives up only on a live holder, or after IDLE_ROUNDS waits on an empty lock directory (proper-lockfile's).
    let idle = 0;
    const claimed = new Set<string>();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (pending.want === undefined) {
        pending.owner ??= newOwner(options.adopted);
        const owner: LockOwner = { ...pending.owner, created: ports.clock.now() };
        const link = encodeLink(owner);
        const verifiedAt = ports.clock.monotonic();
        try {
          await fs.symlink(link, lockPath);
          const placement = { owner, kind: 'exclusive', link, verifiedAt } as const;
          return new Acquisition(ports, dir, path, placement, options, stale, released(lockPath));
        } catch (error) {
          if (errnoOf(error) !== 'EEXIST') throw dir.failure(error, lockPath, 'create');
        }
      }
      await sweepOnce(lockPath, staleness, stale);
      const found = await dir.inspect(lockPath);
      if (found.kind === 'absent') {
        pending.want = undefined; // cannot be: our want keeps the directory; it was removed behind our back
        continue;
      }
      if (found.kind === 'link') {
        pending.want = undefined;
        if (!staleness.isStale(found.entry)) return { holder: found.entry.owner };
        const reaped = await dir.reap(
          lockPath,
          found.entry,
          staleness,
          pending.owner ?? newOwner(options.adopted),
        );
        if (reaped === 'busy') return { holder: found.entry.owner };
        continue;
      }
      if (found.entries.length === 0) {
        // An empty directory: proper-lockfile's lock (it keeps the mtime fresh), or a takeover under way (whose
        // directory goes soon).
        pending.want = undefined;
        if (ports.clock.now() - found.mtimeMs <= stale) {
          // A directory of the earlier format emptied by a live contender taking it over: that contender is
          // about to make its lock (the directory is not ours to remove: a quicker one may be proper-lockfile's).
          if (claims.length === 0) {
            const reaper = await dir.reaper(lockPath, staleness);
            if (reaper !== undefined) return { holder: reaper };
          }
          empty = true;
          if (idle >= IDLE_ROUNDS) break;
          await emptyDirectory(idle++, options.signal);
          continue;
        }
        try {
          await fs.rmdir(lockPath);
        } catch {}
        continue;
      }
      empty = false;
      // A stale exclusive record (the earlier format's lock): one contender takes it over, the one whose takeover
      // marker is made first, as for a stale link; the others see that marker and stay out.
      for (const entry of found.entries) {
        if (entry.kind !== 'exclusive' || entry.token === undefined || claimed.has(entry.token)) continue;
        if (pending.want !== undefined && entry.token === pending.owner?.token) continue;
        if (!staleness.isStale(entry)) continue;
        pending.owner ??= newOwner(options.adopted);
        const claim = await dir.claim(lockPath, entry.token, staleness, pending.owner);
        if (claim.busy) return { holder: claim.by ?? entry.owner };
        claimed.add(entry.token);
        claims.push(...claim.markers);
      }
      const { blocking, readers } = await sortEntries(lockPath, found.entries, staleness, pending);
      if (blocking.length > 0) return { holder: ownerOf(blocking) ?? ownerOf(readers) };
      if (readers.length > 0) {
        if (!(await standInLine(lockPath, pending))) continue;
        return { holder: ownerOf(readers) };
      }
      if (pending.want !== undefined) {
        const held = await convertWant(path, pending, options, stale);
        if (held !== undefined) return held;
        continue;
      }
      // We removed every (stale) record: the directory goes, and the next round makes our link.
      try {
        await fs.rmdir(lockPath);
      } catch {}
    }
    return { holder: undefined, empty };
  }

  /**
   * The live entries of a lock directory, as what keeps us out (an exclusive holder, a writer ahead of us in line,
   * anything unknown) and the shared holders; stale entries are removed on the way.
   */
  async function sortEntries(
    lockPath: string,
    entries: readonly LockEntry[],
    staleness: Staleness,
    pending: Pending,
  ): Promise<{ blocking: LockEntry[]; readers: LockEntry[] }> {
    const blocking: LockEntry[] = [];
    const readers: LockEntry[] = [];
    for (const entry of entries) {
      if (pending.want !== undefined && entry.token === pending.owner?.token) continue; // our own want
      if (staleness.isStale(entry)) {
        await dir.remove(lockPath, entry);
        continue;
      }
      if (entry.kind === 'shared') readers.push(entry);
      // Of two writers in line, the lower token goes first (both registered while only readers held the lock).
      else if (entry.kind === 'want' && pending.want !== undefined && entry.token! > pending.owner!.token)
        continue;
      else blocking.push(entry);
    }
    return { blocking, readers };
  }

  /**
   * Puts our `want` record into the lock directory (or refreshes its heartbeat): new shared holders stay out
   * while it is there. False when the directory went away meanwhile.
   */
  async function standInLine(lockPath: string, pending: Pending): Promise<boolean> {
    pending.owner ??= newOwner();
    const owner = pending.owner;
    if (pending.want !== undefined) {
      try {
        await fs.utimes(pending.want, ports.clock.now());
        return true;
      } catch {
        pending.want = undefined;
        return false;
      }
    }
    const temp = `${spareName(lockPath, owner.token)}.want`;
    const want = `${lockPath}/${ownerFileName(owner.token, 'want')}`;
    try {
      await fs.writeFile(temp, encodeOwner(owner));
      await fs.rename(temp, want);
    } catch (error) {
      await fs.unlink(temp).catch(() => {});
      if (errnoOf(error) === 'ENOENT') return false;
      throw dir.failure(error, lockPath, 'create');
    }
    pending.want = want;
    return true;
  }

  /**
   * Once the shared holders have left: our `want` becomes the exclusive record. A shared holder that joined in the
   * meantime (it looked before our want was there) makes us turn back and wait for it.
   */
  async function convertWant(
    path: string,
    pending: Pending,
    options: AcquireOptions,
    stale: number,
  ): Promise<Acquisition | undefined> {
    const lockPath = `${path}.lock`;
    const want = pending.want!;
    const owner = pending.owner!;
    const record = `${lockPath}/${ownerFileName(owner.token)}`;
    try {
      await fs.rename(want, record);
    } catch {
      pending.want = undefined; // removed behind our back (judged stale?): start again
      return undefined;
    }
    const names = await fs.readdir(lockPath).catch(() => [] as string[]);
    if (names.some((name) => parseRecordName(name)?.kind === 'shared')) {
      try {
        await fs.rename(record, want);
      } catch {
        pending.want = undefined;
      }
      return undefined;
    }
    pending.want = undefined;
    const now = ports.clock.now();
    await fs.utimes(record, now).catch(() => {});
    return new Acquisition(
      ports,
      dir,
      path,
      { record, owner: { ...owner, created: now }, kind: 'exclusive' },
      options,
      stale,
      released(lockPath),
    );
  }

  /**
   * One try for a shared lock: join the shared holders in the lock directory (or make it, with our record in it)
   * unless an exclusive holder or a waiting writer is there.
   */
  async function attemptShared(
    path: string,
    options: AcquireOptions,
    stale: number,
    staleness: Staleness,
    pending: Pending,
  ): Promise<Acquisition | Refusal> {
    const lockPath = `${path}.lock`;
    pending.owner ??= newOwner();
    const owner = pending.owner;
    const temp = `${spareName(lockPath, owner.token)}.shared`;
    const record = `${lockPath}/${ownerFileName(owner.token, 'shared')}`;
    if (pending.temp === undefined) {
      cleanUpAtExit();
      try {
        await fs.writeFile(temp, encodeOwner(owner));
      } catch (error) {
        throw dir.failure(error, lockPath, 'create');
      }
      pending.temp = temp;
    }
    let empty = false;
    let emptied = false;
    for (let round = 0; round < 4; round++) {
      const now = ports.clock.now();
      await fs.utimes(temp, now).catch(() => {});
      const found = await dir.inspect(lockPath);
      if (found.kind === 'absent') {
        const made = await makeSharedDir(lockPath, owner, temp, record);
        if (made) return sharedHeld(path, pending, record, owner, now, options, stale);
        continue;
      }
      if (found.kind === 'link') {
        if (!staleness.isStale(found.entry)) return { holder: found.entry.owner };
        await sweepOnce(lockPath, staleness, stale);
        if ((await dir.reap(lockPath, found.entry, staleness, owner)) === 'busy')
          return { holder: found.entry.owner };
        continue;
      }
      if (found.entries.length === 0 && !emptied) {
        if (ports.clock.now() - found.mtimeMs <= stale) {
          empty = true;
          await emptyDirectory(round, options.signal);
          continue;
        }
        try {
          await fs.rmdir(lockPath);
        } catch {}
        continue;
      }
      empty = false;
      emptied = false;
      const { blocking, readers } = await sortEntries(lockPath, found.entries, staleness, pending);
      if (blocking.length > 0) return { holder: ownerOf(blocking) };
      if (readers.length === 0 && found.entries.length > 0) emptied = true; // all were stale: join the empty one
      try {
        await fs.rename(temp, record);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw dir.failure(error, lockPath, 'create');
        await restoreTemp(temp, owner); // the directory went away meanwhile, or our parked record did
        continue;
      }
      // A writer whose exclusive record appeared as we joined goes first: step back and wait.
      const names = await fs.readdir(lockPath).catch(() => [] as string[]);
      const writer = names.find((name) => parseRecordName(name)?.kind === 'exclusive');
      if (writer !== undefined) {
        await fs.rename(record, temp).catch(() => {});
        return { holder: undefined };
      }
      return sharedHeld(path, pending, record, owner, now, options, stale);
    }
    return { holder: undefined, empty };
  }

  function sharedHeld(
    path: string,
    pending: Pending,
    record: string,
    owner: LockOwner,
    now: number,
    options: AcquireOptions,
    stale: number,
  ): Acquisition {
    const temp = pending.temp;
    pending.temp = undefined;
    const parking = temp === undefined ? undefined : { temp, back: () => park(`${path}.lock`, owner, temp) };
    return new Acquisition(
      ports,
      dir,
      path,
      { record, owner: { ...owner, created: now }, kind: 'shared', parking },
      options,
      stale,
      released(`${path}.lock`),
    );
  }

  /** Writes our shared record's temporary again if it is gone (a sweep may remove a parked one). */
  async function restoreTemp(temp: string, owner: LockOwner): Promise<void> {
    try {
      await fs.stat(temp);
    } catch {
      await fs.writeFile(temp, encodeOwner(owner)).catch(() => {});
    }
  }

  /** Makes the lock directory with our shared record in it (false if another was quicker). */
  async function makeSharedDir(
    lockPath: string,
    owner: LockOwner,
    temp: string,
    record: string,
  ): Promise<boolean> {
    const made = spareName(lockPath, owner.token);
    const inside = `${made}/${record.slice(lockPath.length + 1)}`;
    try {
      await fs.mkdir(made);
    } catch (error) {
      throw dir.failure(error, lockPath, 'create');
    }
    try {
      await fs.rename(temp, inside);
      await fs.rename(made, lockPath);
      return true;
    } catch (error) {
      const code = errnoOf(error);
      await fs.rename(inside, temp).catch(() => {});
      await fs.rmdir(made).catch(() => {});
      if (code === 'ENOTDIR') return false; // a lock link (or a file, which the next look reports) is there
      if (code === 'ENOENT') {
        await restoreTemp(temp, owner);
        return false;
      }
      if (code !== undefined && CONTENDED.has(code)) return false;
      throw dir.failure(error, lockPath, 'create');
    }
  }

  /** Takes back what a try that gave up left: our `want` record, our shared record's temporary. */
  async function withdraw(lockPath: string, pending: Pending): Promise<void> {
    if (pending.want !== undefined) {
      await fs.unlink(pending.want).catch(() => {});
      await fs.rmdir(lockPath).catch(() => {});
      pending.want = undefined;
    }
    if (pending.temp !== undefined) {
      await fs.unlink(pending.temp).catch(() => {});
      pending.temp = undefined;
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
    const pending: Pending = {};
    if (options.shared) unpark(lockPath, pending);
    const once = options.shared ? attemptShared : attempt;
    try {
      return await acquireLoop(() => once(target, options, stale, staleness, pending));
    } finally {
      await withdraw(lockPath, pending);
    }

    async function acquireLoop(tryOnce: () => Promise<Acquisition | Refusal>): Promise<Acquisition> {
      for (let tries = 0; ; tries++) {
        if (options.signal?.aborted) throw aborted();
        const result = await tryOnce();
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
          await backOff(lockPath, delay, options.signal);
        } catch {
          throw aborted();
        }
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
    const staleness = new Staleness(ports, stale);
    if (found.kind === 'link') return !staleness.isStale(found.entry);
    if (found.entries.length === 0) return ports.clock.now() - found.mtimeMs <= stale;
    return found.entries.some((entry) => !staleness.isStale(entry));
  }

  async function readOwner(
    path: string,
    options: Pick<IsLockedOptions, 'realpath'> = {},
  ): Promise<LockOwner | undefined> {
    const found = await dir.inspect(`${await canonical(path, options.realpath)}.lock`);
    if (found.kind === 'link') return found.entry.owner;
    return found.kind === 'absent' ? undefined : ownerOf(found.entries);
  }

  return { acquire, withLock, isLocked, readOwner };
}
