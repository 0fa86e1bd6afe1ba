import { LockError, type LockErrorCode } from './lock-error.js';
import {
  creatorOfToken,
  decodeOwner,
  hostTag,
  type LockOwner,
  ownerFileName,
  tokenOfFileName,
} from './owner.js';
import type { LockPorts } from './ports.js';
import type { LockEntry, Staleness } from './staleness.js';

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

/** The hidden name beside `lockPath` of a spare (and, with a suffix, of other short-lived files of `token`). */
export function spareName(lockPath: string, token: string): string {
  return `${parentOf(lockPath)}/.${baseOf(lockPath)}.${token}`;
}

/** What a lock directory holds right now. */
export type Inspection = { kind: 'absent' } | { kind: 'entries'; entries: LockEntry[] };

/**
 * A lock directory whose owner record is ready, waiting beside the lock under its own hidden name
 * `.<name>.lock.<token>` until it is renamed into place. A process renames it back on release and reuses it if
 * it locks the same path again soon, so that a lock in a loop costs renames, not new files (on a journaling file
 * system, creating and removing inodes is what costs).
 */
export interface Spare {
  readonly dir: string;
  readonly record: string;
  readonly owner: LockOwner;
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

  /** The entries of the lock directory with their owner records; a record that vanished meanwhile is left out. */
  inspect(lockPath: string): Inspection {
    const { fs } = this.#ports;
    let names: string[];
    try {
      names = fs.readdir(lockPath);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') return { kind: 'absent' };
      if (code === 'ENOTDIR') throw this.notADirectory(lockPath);
      throw this.failure(error, lockPath, 'inspect');
    }
    let acquired: number;
    try {
      acquired = fs.stat(lockPath).mtimeMs;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return { kind: 'absent' };
      throw this.failure(error, lockPath, 'inspect');
    }
    const entries: LockEntry[] = [];
    for (const name of names) {
      const file = `${lockPath}/${name}`;
      const token = tokenOfFileName(name);
      try {
        const { mtimeMs } = fs.stat(file);
        const record = token === undefined ? undefined : decodeOwner(fs.readFile(file), token);
        // The directory's mtime is when the lock was taken (a record may be reused from an earlier acquisition).
        const owner = record === undefined || names.length > 1 ? record : { ...record, created: acquired };
        entries.push({ name, token, owner, mtimeMs });
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw this.failure(error, lockPath, 'inspect');
      }
    }
    return { kind: 'entries', entries };
  }

  /**
   * Removes one entry judged stale. Removing a record by its token-bearing name is what makes takeover safe:
   * of two contenders only one can, and a newer lock that replaced the stale one has another name.
   */
  remove(lockPath: string, entry: LockEntry): void {
    const { fs } = this.#ports;
    const file = `${lockPath}/${entry.name}`;
    try {
      fs.unlink(file);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') return;
      if (code === 'EISDIR' || code === 'EPERM') {
        try {
          fs.rmdir(file);
        } catch {}
        return;
      }
      throw this.failure(error, lockPath, 'take over');
    }
  }

  /** Builds a spare lock directory for `owner` beside `lockPath`. */
  createSpare(lockPath: string, owner: LockOwner, encoded: string): Spare {
    const { fs } = this.#ports;
    const dir = spareName(lockPath, owner.token);
    const record = `${dir}/${ownerFileName(owner.token)}`;
    try {
      fs.mkdir(dir);
    } catch (error) {
      throw this.failure(error, lockPath, 'create');
    }
    try {
      fs.writeFile(record, encoded);
    } catch (error) {
      this.destroy(dir, record);
      throw this.failure(error, lockPath, 'create');
    }
    return { dir, record, owner };
  }

  /** Removes a lock directory we own (or our spare): its record, then the directory if it is empty. */
  destroy(dir: string, record: string): void {
    try {
      this.#ports.fs.unlink(record);
    } catch {}
    try {
      this.#ports.fs.rmdir(dir);
    } catch {}
  }

  /**
   * Removes what processes killed between two locks left beside `lockPath`: spares whose owner is judged stale
   * (on this host: dead); a spare killed before its record was complete and the short-lived `.adopt` and `.pid`
   * files, once the process their token names is dead on this host, or once older than `stale` ms (no live
   * process leaves them that long). Runs when a process makes its first spare for a path.
   */
  sweep(lockPath: string, staleness: Staleness, stale: number): void {
    const { fs } = this.#ports;
    const parent = parentOf(lockPath);
    const prefix = `.${baseOf(lockPath)}.`;
    let names: string[];
    try {
      names = fs.readdir(parent);
    } catch {
      return;
    }
    const litter = (path: string, token: string) =>
      this.#creatorDead(token) || this.#ports.clock.now() - fs.stat(path).mtimeMs > stale;
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const match = /^([A-Za-z0-9_-]+)(\.adopt|\.pid)?$/.exec(name.slice(prefix.length));
      if (match === null) continue;
      const [, token, suffix] = match as unknown as [string, string, string | undefined];
      const path = `${parent}/${name}`;
      try {
        if (suffix !== undefined) {
          if (litter(path, token)) fs.unlink(path);
          continue;
        }
        const record = `${path}/${ownerFileName(token)}`;
        let mtimeMs: number;
        try {
          mtimeMs = fs.stat(record).mtimeMs;
        } catch (error) {
          if (errnoOf(error) === 'ENOENT' && litter(path, token)) fs.rmdir(path); // only ever removes an empty directory
          continue;
        }
        const owner = decodeOwner(fs.readFile(record), token);
        if (owner === undefined) {
          if (litter(path, token)) this.destroy(path, record); // a record cut short by a kill
          continue;
        }
        // Only a recognisable record of this host, judged by liveness: never guess about other hosts.
        if (owner.hostname !== this.#ports.host.hostname) continue;
        if (staleness.isStale({ name, token, owner, mtimeMs })) this.destroy(path, record);
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
