import type { AcquireOptions, HeldLock } from './lock.js';
import type { LockDir } from './lock-dir.js';
import { errnoOf, spareName } from './lock-dir.js';
import { LockError } from './lock-error.js';
import { encodeLink, encodeOwner, type LockOwner, type RecordKind } from './owner.js';
import type { LockPorts } from './ports.js';

/**
 * Where our record is: the target of the lock link `${path}.lock` (an exclusive lock taken on a free path, the
 * fast path: `link` holds the target as written); or a record file in a lock directory (a shared lock, or an
 * exclusive one taken after shared holders left: `record` is its path).
 */
export type Placement = {
  readonly owner: LockOwner;
  readonly kind: RecordKind;
  /** A shared record's temporary name, to move it back to on release for reuse (`back` then keeps it). */
  readonly parking?: { readonly temp: string; readonly back: () => void } | undefined;
  /** Monotonic time just before the call that made the lock. */
  readonly verifiedAt?: number | undefined;
} & (
  | { readonly link: string; readonly record?: undefined }
  | { readonly record: string; readonly link?: undefined }
);

/**
 * A lock we hold, with its heartbeat. The heartbeat of a lock link is the link's own mtime (`lutimes`); of a
 * lock directory, the directory's mtime (which proper-lockfile reads too); a shared holder beats its own record
 * and the directory.
 */
export class Acquisition implements HeldLock {
  readonly path: string;
  readonly lockPath: string;
  readonly #ports: LockPorts;
  readonly #dir: LockDir;
  readonly #parking: Placement['parking'];
  readonly #record: string | undefined;
  /** The target of our lock link as it is now (adopt() replaces it). */
  #link: string | undefined;
  /** Monotonic time at which our link was last known to be ours and fresh (made, or a heartbeat's check). */
  #verifiedAt: number;
  readonly #stale: number;
  /** Whether this is one of the shared holders. */
  readonly shared: boolean;
  readonly #controller = new AbortController();
  readonly #onCompromised: ((error: LockError) => void) | undefined;
  readonly #stopHeartbeat: () => void;
  readonly #forget: () => void;
  #owner: LockOwner;
  #adopted = false;
  #released = false;
  readonly #onReleased: () => void;
  /** The adoption under way, which release waits for. */
  #adopting: Promise<unknown> = Promise.resolve();

  constructor(
    ports: LockPorts,
    dir: LockDir,
    path: string,
    placement: Placement,
    options: AcquireOptions,
    stale: number,
    /** Called once the lock is released (this process's waiters for it try again at once). */
    released: () => void = () => {},
  ) {
    this.#onReleased = released;
    this.#ports = ports;
    this.#dir = dir;
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.#parking = placement.parking;
    this.#owner = placement.owner;
    this.#record = placement.record;
    this.#link = placement.link;
    this.#verifiedAt = placement.verifiedAt ?? ports.clock.monotonic();
    this.#stale = stale;
    this.shared = placement.kind === 'shared';
    this.#onCompromised = options.onCompromised;
    const update = options.update ?? stale / 2;
    // Timers take at most 2^31-1 ms; an hourly beat is plenty when `stale` is huge.
    this.#stopHeartbeat = ports.clock.every(
      Math.min(Math.max(1, update), 3_600_000),
      () => void this.#beat(),
    );
    this.#forget = ports.held?.hold(() => this.releaseAtExit()) ?? (() => {});
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the lock link still carries our record (rejects as the file system does). */
  async #linkIsOurs(): Promise<boolean> {
    return (await this.#ports.fs.readlink(this.lockPath)) === this.#link;
  }

  async #beat(): Promise<void> {
    const { fs } = this.#ports;
    try {
      if (this.#link !== undefined) {
        const checked = this.#ports.clock.monotonic();
        if (!(await this.#linkIsOurs())) throw Object.assign(new Error('replaced'), { code: 'ENOENT' });
        if (this.#released) return;
        await fs.lutimes(this.lockPath, this.#ports.clock.now());
        this.#verifiedAt = checked;
        return;
      }
      await fs.stat(this.#record!); // still ours
      if (this.#released) return;
      const now = this.#ports.clock.now();
      if (this.shared) await fs.utimes(this.#record!, now);
      await fs.utimes(this.lockPath, now);
    } catch (error) {
      const code = errnoOf(error);
      if (!this.#released && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EINVAL')) {
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

  // Arrow functions, so that a handle's methods work detached: `const { release } = await acquire(p)`.
  readonly adopt = (pid: number): Promise<void> => {
    const adoption = this.#adopting.then(() => this.#adopt(pid));
    this.#adopting = adoption.catch(() => {});
    return adoption;
  };

  async #adopt(pid: number): Promise<void> {
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
    const temp = `${spareName(this.lockPath, owner.token)}.adopt`;
    this.#adopted = true;
    try {
      if (this.#link !== undefined) {
        // A new link with the longer record, renamed over ours (atomically: a reader sees the old or the new).
        const link = encodeLink(owner);
        const [, ours] = await Promise.all([fs.symlink(link, temp), this.#linkIsOurs()]);
        if (!ours) throw Object.assign(new Error('replaced'), { code: 'ENOENT' });
        await fs.rename(temp, this.lockPath);
        this.#link = link;
      } else {
        await fs.writeFile(temp, encodeOwner(owner));
        await fs.stat(this.#record!); // still ours: replace the record atomically, never leaving a half-written one
        await fs.rename(temp, this.#record!);
        // An exclusive record's mtime says when the lock was taken (the rename touched the directory: a
        // heartbeat); a shared record's mtime is its heartbeat, which the rename refreshed.
        if (!this.shared) await fs.utimes(this.#record!, owner.created);
      }
    } catch (error) {
      try {
        await fs.unlink(temp);
      } catch {}
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'EINVAL') {
        this.#compromise('its owner record was removed');
        throw this.#controller.signal.reason;
      }
      throw error;
    }
    this.#owner = owner;
  }

  /**
   * The exit and signal handlers' release: a lock that adopted a process that still lives is left in place (that
   * process keeps it alive, and the next contender takes it over once it has ended too); any other is removed
   * (our link if it still carries our record; our record by its name, then the directory if that left it empty).
   */
  readonly releaseAtExit = (): void => {
    if (this.#released) return;
    this.#released = true;
    this.#stopHeartbeat();
    this.#forget();
    const adopted = this.#owner.adopted ?? [];
    if (adopted.some((ref) => this.#ports.probe.isAlive(ref.pid, ref.startTime))) return;
    const { atExit } = this.#ports.fs;
    if (this.#link !== undefined) {
      try {
        if (atExit.readlink(this.lockPath) === this.#link) atExit.unlink(this.lockPath);
      } catch {}
      return;
    }
    this.#dir.destroyAtExit(this.lockPath, this.#record!);
  };

  readonly release = async (): Promise<void> => {
    if (this.#released) return;
    try {
      await this.#release();
    } finally {
      this.#onReleased();
    }
  };

  async #release(): Promise<void> {
    this.#released = true;
    this.#stopHeartbeat();
    this.#forget();
    await this.#adopting;
    const { fs } = this.#ports;
    if (this.#link !== undefined) {
      if (this.#ports.clock.monotonic() - this.#verifiedAt > this.#stale / 2) {
        await this.#releaseCarefully();
        return;
      }
      // Our heartbeat is fresh, so no other host can be taking the lock over: if the link still carries our
      // record, it is ours to unlink; if it was taken over (judged stale), the new holder's stays.
      try {
        if (await this.#linkIsOurs()) {
          await fs.unlink(this.lockPath);
          return;
        }
      } catch (error) {
        const code = errnoOf(error);
        if (code !== 'ENOENT' && code !== 'EINVAL') throw this.#dir.failure(error, this.lockPath, 'release');
      }
      this.#compromise('its owner record was gone at release');
      return;
    }
    const record = this.#record!;
    try {
      await fs.stat(record);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.#compromise('its owner record was gone at release');
        return;
      }
      throw this.#dir.failure(error, this.lockPath, 'release');
    }
    const parking = this.#parking;
    if (!this.#adopted && parking !== undefined) {
      // A shared record goes back beside the lock for the next shared lock; then the directory goes if that left
      // it empty (other shared holders may still be in it).
      try {
        await fs.rename(record, parking.temp);
        parking.back();
        await fs.rmdir(this.lockPath).catch(() => {});
        return;
      } catch {}
    }
    // Our record, then the directory if that left it empty (other shared holders may still be in it).
    await this.#dir.destroy(this.lockPath, record);
  }

  /**
   * Release when our heartbeat is old (the event loop stalled, the file system hung, heartbeats failed), so that
   * another host may be taking the lock over right now: the link is moved aside to a name of ours first, and if
   * what we moved is not ours, it is put back where it was (unless a third contender took the place meanwhile).
   */
  async #releaseCarefully(): Promise<void> {
    const { fs } = this.#ports;
    const aside = `${spareName(this.lockPath, this.#owner.token)}.gone`;
    try {
      await fs.rename(this.lockPath, aside);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
        this.#compromise('its owner record was gone at release');
        return;
      }
      throw this.#dir.failure(error, this.lockPath, 'release');
    }
    let moved = '';
    try {
      moved = await fs.readlink(aside);
    } catch (error) {
      if (errnoOf(error) === 'EINVAL') {
        // A lock directory (shared holders) had replaced ours: back it goes.
        await fs.rename(aside, this.lockPath).catch(() => {});
        this.#compromise('it was taken over as we released it');
        return;
      }
    }
    if (moved !== this.#link) {
      // Another host judged our lock stale and replaced it as we released it: its lock goes back.
      if (moved !== '') await fs.symlink(moved, this.lockPath).catch(() => {});
      this.#compromise('it was taken over as we released it');
    }
    await fs.unlink(aside).catch(() => {});
  }

  readonly [Symbol.asyncDispose] = (): Promise<void> => this.release();
}
