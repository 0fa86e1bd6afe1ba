import type { AcquireOptions, HeldLock } from './lock.js';
import type { LockDir, Spare } from './lock-dir.js';
import { errnoOf, spareName } from './lock-dir.js';
import { LockError } from './lock-error.js';
import { encodeOwner, type LockOwner } from './owner.js';
import type { LockPorts } from './ports.js';

/** A lock we hold: the spare renamed into place as `${path}.lock`, with its heartbeat. */
export class Acquisition implements HeldLock {
  readonly path: string;
  readonly lockPath: string;
  readonly #ports: LockPorts;
  readonly #dir: LockDir;
  readonly #spare: Spare;
  readonly #record: string;
  readonly #controller = new AbortController();
  readonly #onCompromised: ((error: LockError) => void) | undefined;
  readonly #stopHeartbeat: () => void;
  readonly #forget: () => void;
  readonly #returnSpare: (spare: Spare) => void;
  #owner: LockOwner;
  #adopted = false;
  #released = false;

  constructor(
    ports: LockPorts,
    dir: LockDir,
    path: string,
    spare: Spare,
    acquired: number,
    options: AcquireOptions,
    stale: number,
    returnSpare: (spare: Spare) => void,
  ) {
    this.#ports = ports;
    this.#dir = dir;
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.#spare = spare;
    this.#owner = { ...spare.owner, created: acquired };
    this.#record = `${this.lockPath}/${spare.record.slice(spare.dir.length + 1)}`;
    this.#returnSpare = returnSpare;
    this.#onCompromised = options.onCompromised;
    const update = options.update ?? stale / 2;
    // Timers take at most 2^31-1 ms; an hourly beat is plenty when `stale` is huge.
    this.#stopHeartbeat = ports.clock.every(Math.min(Math.max(1, update), 3_600_000), () => this.#beat());
    this.#forget = ports.held?.hold(() => this.#releaseAtExit()) ?? (() => {});
  }

  /**
   * The exit and signal handlers' release: a lock that adopted a process that still lives is left in place (that
   * process keeps it alive, and the next contender takes it over once it has ended too); any other is released.
   */
  #releaseAtExit(): void {
    const adopted = this.#owner.adopted ?? [];
    if (adopted.some((ref) => this.#ports.probe.isAlive(ref.pid, ref.startTime))) {
      this.#released = true;
      this.#stopHeartbeat();
      this.#forget();
      return;
    }
    this.releaseNow();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  #beat(): void {
    try {
      this.#ports.fs.utimes(this.#record, this.#ports.clock.now());
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
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
  readonly adopt = async (pid: number): Promise<void> => {
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
    fs.writeFile(temp, encodeOwner(owner));
    this.#adopted = true;
    try {
      fs.stat(this.#record); // still ours: replace the record atomically, never leaving a half-written one
      fs.rename(temp, this.#record);
      fs.utimes(this.lockPath, owner.created); // the rename touched the directory, whose mtime is `created`
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
  };

  readonly releaseNow = (): void => {
    if (this.#released) return;
    this.#released = true;
    this.#stopHeartbeat();
    this.#forget();
    const { fs } = this.#ports;
    try {
      fs.stat(this.#record);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.#compromise('its owner record was gone at release');
        return;
      }
      throw this.#dir.failure(error, this.lockPath, 'release');
    }
    if (!this.#adopted) {
      // Our record is there, so the directory is ours: move it back to be the spare for the next lock.
      let moved = false;
      try {
        fs.rename(this.lockPath, this.#spare.dir);
        moved = true;
        fs.stat(this.#spare.record);
        this.#returnSpare(this.#spare);
        return;
      } catch {
        if (moved) {
          // Between our check and the rename another host judged our lock stale and replaced it: we moved its
          // lock, not ours. Put it back (it can only fail if yet another took the place; its owner will see).
          try {
            fs.rename(this.#spare.dir, this.lockPath);
          } catch {}
          this.#compromise('it was taken over as we released it');
          return;
        }
      }
    }
    this.#dir.destroy(this.lockPath, this.#record);
  };

  readonly release = async (): Promise<void> => {
    this.releaseNow();
  };

  readonly [Symbol.asyncDispose] = async (): Promise<void> => {
    this.releaseNow();
  };
}
