import { LockError, type LockErrorCode } from './lock-error.js';
import {
  creatorOfToken,
  decodeLink,
  decodeOwner,
  encodeLink,
  hostTag,
  type LockOwner,
  ownerFileName,
  parseRecordName,
  sameHost,
} from './owner.js';
import type { LockPorts } from './ports.js';
import type { LockEntry, Staleness } from './staleness.js';

/** How many reapers of one stale lock link may die in turn before the takeover gives up (each leaves a marker). */
const MAX_REAPERS = 8;

/** The errno name of a file-system error (`ENOENT`...), if it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The hidden name beside `lockPath` of short-lived files of the acquisition `token` (with a suffix: `.adopt`,
 * `.pid`, `.want`, `.shared`, `.reap`), and of a spare lock directory of the earlier format.
 */
export function spareName(lockPath: string, token: string): string {
  return `${parentOf(lockPath)}/.${baseOf(lockPath)}.${token}`;
}

/** What is at a lock's path right now. */
export type Inspection =
  | { kind: 'absent' }
  | {
      /** An exclusive lock in the link format: a symbolic link whose target is the owner record. */
      kind: 'link';
      entry: LockEntry;
    }
  | {
      kind: 'entries';
      entries: LockEntry[];
      /** The lock directory's mtime: when it was made or last changed (proper-lockfile's heartbeat). */
      mtimeMs: number;
    };

/** The name a lock link's entry gets (its record has no file name of its own). */
export const LINK_ENTRY = '<link>';

/** The token under which a takeover of a lock link is arbitrated: its owner's, or a hash of a foreign target. */
export function linkToken(entry: LockEntry): string {
  return entry.token ?? `x${hostTag(entry.link ?? '')}`;
}

/** The file operations on a lock directory `<path>.lock`, with errors a person can act on. */
export class LockDir {
  readonly #ports: LockPorts;

  constructor(ports: LockPorts) {
    this.#ports = ports;
  }

  failure(error: unknown, lockPath: string, doing: string): LockError {
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

  notADirectory(lockPath: string): LockError {
    return new LockError(
      'ENOTDIR',
      `${lockPath} exists and is not a lock directory; remove it if nothing uses it`,
      {
        lockPath,
      },
    );
  }

  /**
   * What holds the lock: its link (with the owner record it carries), or the entries of a lock directory (the
   * shared holders' and waiting writers' records, a record of the earlier directory format, or nothing: the
   * empty directory of proper-lockfile) with their owner records; a record that vanished meanwhile is left out.
   */
  async inspect(lockPath: string): Promise<Inspection> {
    const { fs } = this.#ports;
    try {
      const link = await fs.readlink(lockPath);
      const { mtimeMs } = await fs.lstat(lockPath);
      const owner = decodeLink(link);
      return {
        kind: 'link',
        entry: { name: LINK_ENTRY, token: owner?.token, kind: 'exclusive', owner, mtimeMs, link },
      };
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') return { kind: 'absent' };
      if (code !== 'EINVAL' && code !== 'UNKNOWN') throw this.failure(error, lockPath, 'inspect');
    }
    let names: string[];
    try {
      names = await fs.readdir(lockPath);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') return { kind: 'absent' };
      if (code === 'ENOTDIR') throw this.notADirectory(lockPath);
      throw this.failure(error, lockPath, 'inspect');
    }
    let dirMtime: number;
    try {
      dirMtime = (await fs.stat(lockPath)).mtimeMs;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return { kind: 'absent' };
      throw this.failure(error, lockPath, 'inspect');
    }
    const entries: LockEntry[] = [];
    for (const name of names) {
      const file = `${lockPath}/${name}`;
      const parsed = parseRecordName(name);
      const token = parsed?.token;
      try {
        const { mtimeMs } = await fs.stat(file);
        const record = token === undefined ? undefined : decodeOwner(await fs.readFile(file), token);
        // An exclusive record in a directory (a writer that waited for shared holders, or the earlier format): its
        // mtime says when the lock was taken, and its heartbeat is the directory's mtime.
        const sole = record !== undefined && parsed?.kind === 'exclusive';
        const owner = sole ? { ...record, created: mtimeMs } : record;
        const heartbeat = sole ? Math.max(mtimeMs, dirMtime) : mtimeMs;
        entries.push({ name, token, kind: parsed?.kind, owner, mtimeMs: heartbeat });
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw this.failure(error, lockPath, 'inspect');
      }
    }
    return { kind: 'entries', entries, mtimeMs: dirMtime };
  }

  /**
   * Claims the takeover of the stale lock `token` (a lock link, or an exclusive record of a lock directory of the
   * earlier format), so that exactly one contender does it: creates the marker `.<name>.lock.<token>.reap` (a link
   * carrying the reaper's record; creating it is atomic, so one contender wins). A marker whose maker is itself
   * stale (killed mid-way) is passed over by creating the next one, `.reap.1`, `.reap.2`..., never removed while
   * the stale lock is there. `busy` (with the live maker, when known) when a live contender is at it; else the
   * markers to remove with {@link unclaim} once the takeover is over (ours first).
   */
  async claim(
    lockPath: string,
    token: string,
    staleness: Staleness,
    reaper: LockOwner,
  ): Promise<{ busy: true; by: LockOwner | undefined } | { busy: false; markers: string[] }> {
    const { fs } = this.#ports;
    const base = `${spareName(lockPath, token)}.reap`;
    const markers: string[] = [];
    for (let generation = 0; generation < MAX_REAPERS; generation++) {
      const marker = generation === 0 ? base : `${base}.${generation}`;
      try {
        await fs.symlink(encodeLink(reaper), marker);
        return { busy: false, markers: [marker, ...markers] };
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw this.failure(error, lockPath, 'take over');
        let other: LockEntry;
        try {
          const link = await fs.readlink(marker);
          const owner = decodeLink(link);
          other = { name: marker, token: owner?.token, owner, mtimeMs: (await fs.lstat(marker)).mtimeMs };
        } catch {
          continue; // gone meanwhile, or not a link: try the next one
        }
        if (!staleness.isStale(other)) return { busy: true, by: other.owner }; // a live contender is at it
        markers.push(marker);
      }
    }
    return { busy: true, by: undefined };
  }

  /** Removes the markers of a takeover that is over (the stale lock they were made for is gone). */
  async unclaim(markers: readonly string[]): Promise<void> {
    for (const marker of markers) await this.#ports.fs.unlink(marker).catch(() => {});
  }

  /**
   * The live contender taking over a stale lock of `lockPath` right now (the maker of a live `.reap` marker beside
   * it), if there is one: what an emptied lock directory of the earlier format is, while its reaper is between
   * removing the stale record and the directory.
   */
  async reaper(lockPath: string, staleness: Staleness): Promise<LockOwner | undefined> {
    const { fs } = this.#ports;
    const parent = parentOf(lockPath);
    const prefix = `.${baseOf(lockPath)}.`;
    let names: string[];
    try {
      names = await fs.readdir(parent);
    } catch {
      return undefined;
    }
    for (const name of names) {
      if (!name.startsWith(prefix) || !/^[A-Za-z0-9_-]+\.reap(?:\.\d+)?$/.test(name.slice(prefix.length)))
        continue;
      const marker = `${parent}/${name}`;
      try {
        const owner = decodeLink(await fs.readlink(marker));
        const mtimeMs = (await fs.lstat(marker)).mtimeMs;
        if (owner !== undefined && !staleness.isStale({ name, token: owner.token, owner, mtimeMs }))
          return owner;
      } catch {}
    }
    return undefined;
  }

  /**
   * Removes a lock link judged stale, so that exactly one contender does it and never a newer lock that replaced
   * it: the contender that {@link claim}s the takeover checks that the stale link is still there, and only then
   * unlinks it. `busy` when a live contender is at it.
   */
  async reap(
    lockPath: string,
    entry: LockEntry,
    staleness: Staleness,
    reaper: LockOwner,
  ): Promise<'removed' | 'changed' | 'busy'> {
    const { fs } = this.#ports;
    const claimed = await this.claim(lockPath, linkToken(entry), staleness, reaper);
    if (claimed.busy) return 'busy';
    let removed = false;
    try {
      if ((await fs.readlink(lockPath)) === entry.link) {
        await fs.unlink(lockPath);
        removed = true;
      }
    } catch (error) {
      const code = errnoOf(error);
      if (code !== 'ENOENT' && code !== 'EINVAL') {
        await this.unclaim(claimed.markers.slice(0, 1));
        throw this.failure(error, lockPath, 'take over');
      }
    }
    // The stale link is gone now (or had already gone): its markers stand for nothing any more.
    await this.unclaim(claimed.markers);
    return removed ? 'removed' : 'changed';
  }

  /**
   * Removes one entry judged stale. Removing a record by its token-bearing name is what makes takeover safe:
   * of two contenders only one can, and a newer lock that replaced the stale one has another name.
   */
  async remove(lockPath: string, entry: LockEntry): Promise<void> {
    const { fs } = this.#ports;
    const file = `${lockPath}/${entry.name}`;
    try {
      await fs.unlink(file);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') return;
      if (code === 'EISDIR' || code === 'EPERM') {
        try {
          await fs.rmdir(file);
        } catch {}
        return;
      }
      throw this.failure(error, lockPath, 'take over');
    }
  }

  /** Removes our record from a lock directory, then the directory if that left it empty. */
  async destroy(dir: string, record: string): Promise<void> {
    try {
      await this.#ports.fs.unlink(record);
    } catch {}
    try {
      await this.#ports.fs.rmdir(dir);
    } catch {}
  }

  /** {@link destroy}, synchronously, from an exit or signal handler. */
  destroyAtExit(dir: string, record: string): void {
    try {
      this.#ports.fs.atExit.unlink(record);
    } catch {}
    try {
      this.#ports.fs.atExit.rmdir(dir);
    } catch {}
  }

  /**
   * Removes what processes killed mid-way left beside `lockPath`: the short-lived `.adopt`, `.pid`, `.want`,
   * `.shared` and `.gone` files once the process their token names is dead on this host, or once older than `stale` ms (no
   * live process leaves them that long); takeover markers (`.reap`) once the link they were made for is gone and
   * their maker is stale; and spare directories of the earlier format (empty, cut short, or of a stale owner).
   * Runs off the fast path: when a process first finds the lock taken.
   */
  async sweep(lockPath: string, staleness: Staleness, stale: number): Promise<void> {
    const { fs } = this.#ports;
    const parent = parentOf(lockPath);
    const prefix = `.${baseOf(lockPath)}.`;
    let names: string[];
    try {
      names = await fs.readdir(parent);
    } catch {
      return;
    }
    const old = async (path: string) => this.#ports.clock.now() - (await fs.lstat(path)).mtimeMs > stale;
    const litter = async (path: string, token: string) => this.#creatorDead(token) || (await old(path));
    let current: string | undefined | null = null;
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const match = /^([A-Za-z0-9_-]+)(\.adopt|\.pid|\.want|\.shared|\.gone|\.reap(?:\.\d+)?)?$/.exec(
        name.slice(prefix.length),
      );
      if (match === null) continue;
      const [, token, suffix] = match as unknown as [string, string, string | undefined];
      const path = `${parent}/${name}`;
      try {
        if (suffix?.startsWith('.reap')) {
          if (current === null) current = decodeLink(await fs.readlink(lockPath).catch(() => ''))?.token;
          if (current === token) continue; // the takeover it arbitrates may be under way
          const owner = decodeLink(await fs.readlink(path));
          const mtimeMs = (await fs.lstat(path)).mtimeMs;
          if (staleness.isStale({ name, token: owner?.token, owner, mtimeMs })) await fs.unlink(path);
          continue;
        }
        if (suffix !== undefined) {
          if (await litter(path, token)) await fs.unlink(path);
          continue;
        }
        // A spare lock directory of the earlier format.
        const record = `${path}/${ownerFileName(token)}`;
        let mtimeMs: number;
        try {
          mtimeMs = (await fs.stat(record)).mtimeMs;
        } catch (error) {
          if (errnoOf(error) === 'ENOENT' && (await litter(path, token))) await fs.rmdir(path); // only ever removes an empty directory
          continue;
        }
        const owner = decodeOwner(await fs.readFile(record), token);
        if (owner === undefined) {
          if (await litter(path, token)) await this.destroy(path, record); // a record cut short by a kill
          continue;
        }
        // Only a recognisable record of this host, judged by liveness: never guess about other hosts.
        if (!sameHost(owner.hostname, this.#ports.host.hostname)) continue;
        if (staleness.isStale({ name, token, owner, mtimeMs })) await this.destroy(path, record);
      } catch {}
    }
  }

  /** Whether `token` names a process of this host that is gone (false when it cannot tell). */
  #creatorDead(token: string): boolean {
    const creator = creatorOfToken(token);
    if (creator === undefined || creator.host !== hostTag(this.#ports.host.hostname)) return false;
    return !this.#ports.probe.isAlive(creator.pid, creator.startTime);
  }
}
