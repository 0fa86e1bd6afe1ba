import type { AcquireOptions, HeldLock } from './lock.js';
import type { LockDir, Spare } from './lock-dir.js';
import { errnoOf, spareName } from './lock-dir.js';
import { LockError } from './lock-error.js';
import { encodeOwner, type LockOwner, type RecordKind } from './owner.js';
import type { LockPorts } from './ports.js';

/**
 * Where our record is: in our spare, renamed into place as `${path}.lock` (an exclusive lock taken on a free path);
 * or put into a lock directory that was already there (a shared lock, or an exclusive one after the shared holders
 * left), in which case there is no spare to give back.
 */
export interface Placement {
  readonly record: string;
  readonly owner: LockOwner;
  readonly kind: RecordKind;
  readonly spare?: Spare | undefined;
  /** A shared record's temporary name, to move it back to on release for reuse (`back` then keeps it). */
  readonly parking?: { readonly temp: string; readonly back: () => void } | undefined;
}

/**
 * A lock we hold, with its heartbeat. The heartbeat of an exclusive lock is the lock directory's mtime (which
 * proper-lockfile reads too; the record's mtime says when the lock was taken); a shared holder beats its own record
 * and the directory.
 */
export class Acquisition implements HeldLock {
  readonly path: string;
  readonly lockPath: string;
  readonly #ports: LockPorts;
  readonly #dir: LockDir;
  readonly #spare: Spare | undefined;
  readonly #parking: Placement['parking'];
  readonly #record: string;
  /** Whether this is one of the shared holders. */
  readonly shared: boolean;
  readonly #controller = new AbortController();
  readonly #onCompromised: ((error: LockError) => void) | undefined;
  readonly #stopHeartbeat: () => void;
  readonly #forget: () => void;
  readonly #returnSpare: (spare: Spare) => void;
  #owner: LockOwner;
  #adopted = false;
  #released = false;
  /** The adoption under way, which release waits for. */
  #adopting: Promise<unknown> = Promise.resolve();

  constructor(
    ports: LockPorts,
    dir: LockDir,
    path: string,
    placement: Placement,
    acquired: number,
    options: AcquireOptions,
    stale: number,
    returnSpare: (spare: Spare) => void,
  ) {
    this.#ports = ports;
    this.#dir = dir;
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.#spare = placement.spare;
    this.#parking = placement.parking;
    this.#owner = { ...placement.owner, created: acquired };
    this.#record = placement.record;
    this.shared = placement.kind === 'shared';
    this.#returnSpare = returnSpare;
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

  async #beat(): Promise<void> {
    const { fs } = this.#ports;
    try {
      await fs.stat(this.#record); // still ours
      if (this.#released) return;
      const now = this.#ports.clock.now();
      if (this.shared) await fs.utimes(this.#record, now);
      await fs.utimes(this.lockPath, now);
    } catch (error) {
      const code = errnoOf(error);
      if (!this.#released && (code === 'ENOENT' || code === 'ENOTDIR')) {
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
    await fs.writeFile(temp, encodeOwner(owner));
    this.#adopted = true;
    try {
      await fs.stat(this.#record); // still ours: replace the record atomically, never leaving a half-written one
      await fs.rename(temp, this.#record);
      // An exclusive record's mtime says when the lock was taken (the rename touched the directory: a
      // heartbeat); a shared record's mtime is its heartbeat, which the rename refreshed.
      if (!this.shared) await fs.utimes(this.#record, owner.created);
    } catch (error) {
      try {
        await fs.unlink(temp);
      } catch {}
      if (errnoOf(error) === 'ENOENT') {
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
   * (our record by its name, then the directory if that left it empty).
   */
  readonly releaseAtExit = (): void => {
    if (this.#released) return;
    this.#released = true;
    this.#stopHeartbeat();
    this.#forget();
    const adopted = this.#owner.adopted ?? [];
    if (adopted.some((ref) => this.#ports.probe.isAlive(ref.pid, ref.startTime))) return;
    this.#dir.destroyAtExit(this.lockPath, this.#record);
  };

  readonly release = async (): Promise<void> => {
    if (this.#released) return;
    this.#released = true;
    this.#stopHeartbeat();
    this.#forget();
    await this.#adopting;
    const { fs } = this.#ports;
    try {
      await fs.stat(this.#record);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.#compromise('its owner record was gone at release');
        return;
      }
      throw this.#dir.failure(error, this.lockPath, 'release');
    }
    const spare = this.#spare;
    if (!this.#adopted && spare !== undefined) {
      // Our record is there, so the directory is ours: move it back to be the spare for the next lock.
      let moved = false;
      try {
        await fs.rename(this.lockPath, spare.dir);
        moved = true;
        await fs.stat(spare.record);
        this.#returnSpare(spare);
        return;
      } catch {
        if (moved) {
          // Between our check and the rename another host judged our lock stale and replaced it: we moved its
          // lock, not ours. Put it back (it can only fail if yet another took the place; its owner will see).
          try {
            await fs.rename(spare.dir, this.lockPath);
          } catch {}
          this.#compromise('it was taken over as we released it');
          return;
        }
      }
    }
    const parking = this.#parking;
    if (!this.#adopted && parking !== undefined) {
      // A shared record goes back beside the lock for the next shared lock; then the directory goes if that left
      // it empty (other shared holders may still be in it).
      try {
        await fs.rename(this.#record, parking.temp);
        parking.back();
        await fs.rmdir(this.lockPath).catch(() => {});
        return;
      } catch {}
    }
    // Our record, then the directory if that left it empty (other shared holders may still be in it).
    await this.#dir.destroy(this.lockPath, this.#record);
  };

  readonly [Symbol.asyncDispose] = (): Promise<void> => this.release();
}
