import { LockError, type LockErrorCode } from './lock-error.js';
import {
  creatorOfToken,
  decodeOwner,
  hostTag,
  type LockOwner,
  ownerFileName,
  parseRecordName,
  type RecordKind,
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
export type Inspection =
  | { kind: 'absent' }
  | {
      kind: 'entries';
      entries: LockEntry[];
      /** The lock directory's mtime: when it was made or last changed (proper-lockfile's heartbeat). */
      mtimeMs: number;
    };

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
  async inspect(lockPath: string): Promise<Inspection> {
    const { fs } = this.#ports;
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
        // An exclusive lock's record: its mtime says when the lock was taken (the record may be reused from an
        // earlier acquisition), and its heartbeat is the directory's mtime.
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

  /** Builds a spare lock directory for `owner` beside `lockPath`. */
  async createSpare(
    lockPath: string,
    owner: LockOwner,
    encoded: string,
    kind: RecordKind = 'exclusive',
  ): Promise<Spare> {
    const { fs } = this.#ports;
    const dir = spareName(lockPath, owner.token);
    const record = `${dir}/${ownerFileName(owner.token, kind)}`;
    try {
      await fs.mkdir(dir);
    } catch (error) {
      throw this.failure(error, lockPath, 'create');
    }
    try {
      await fs.writeFile(record, encoded);
    } catch (error) {
      await this.destroy(dir, record);
      throw this.failure(error, lockPath, 'create');
    }
    return { dir, record, owner };
  }

  /** Removes a lock directory we own (or our spare): its record, then the directory if it is empty. */
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
   * Removes what processes killed between two locks left beside `lockPath`: spares whose owner is judged stale
   * (on this host: dead); a spare killed before its record was complete and the short-lived `.adopt` and `.pid`
   * files, once the process their token names is dead on this host, or once older than `stale` ms (no live
   * process leaves them that long). Runs when a process makes its first spare for a path.
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
    const litter = async (path: string, token: string) =>
      this.#creatorDead(token) || this.#ports.clock.now() - (await fs.stat(path)).mtimeMs > stale;
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const match = /^([A-Za-z0-9_-]+)(\.adopt|\.pid|\.want|\.shared)?$/.exec(name.slice(prefix.length));
      if (match === null) continue;
      const [, token, suffix] = match as unknown as [string, string, string | undefined];
      const path = `${parent}/${name}`;
      try {
        if (suffix !== undefined) {
          if (await litter(path, token)) await fs.unlink(path);
          continue;
        }
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
        if (owner.hostname !== this.#ports.host.hostname) continue;
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
