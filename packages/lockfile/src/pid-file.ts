import type { AcquireOptions, HeldLock, Locker } from './lock.js';
import { spareName } from './lock-dir.js';
import { LockError } from './lock-error.js';
import { ownToken } from './owner.js';
import type { LockPorts } from './ports.js';

/**
 * How a pid file is written: `'plain'` is `"%d\n"` (BSD pidfile(3)); `'uuidd'` is util-linux uuidd's `"%8d\n"`
 * (right-aligned in eight columns).
 */
export type PidFileFormat = 'plain' | 'uuidd';

/** What `createPidFile` takes. */
export interface PidFileOptions {
  /** @default 'plain' */
  readonly format?: PidFileFormat;
  /** The pid to write (e.g. a daemon's child). @default this process's pid */
  readonly pid?: number;
  /** As {@link AcquireOptions.stale}: only matters for a pid file shared between hosts. */
  readonly stale?: number;
}

/**
 * A held pid file. It is removed on `release()`, on normal exit and on SIGINT/SIGTERM/SIGHUP.
 * @example
 * await using pidFile = await createPidFile('/run/uuidd/uuidd.pid', { format: 'uuidd' });
 */
export interface PidFile {
  /** The pid file's path. */
  readonly path: string;
  /** The pid written in it. */
  readonly pid: number;
  /** Removes the pid file (if it still names our pid) and its lock. Idempotent. */
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Why a pid file could not be created: `ERUNNING` when a live process holds it (`pid` names it); otherwise the
 * code of the underlying {@link LockError} (`ENOENT`, `EACCES`, `ENOTDIR`, `EIO`).
 * @example
 * try {
 *   await createPidFile('/run/food.pid');
 * } catch (error) {
 *   if (error instanceof PidFileError && error.code === 'ERUNNING') console.error(`already running, pid ${error.pid}`);
 * }
 */
export class PidFileError extends Error {
  override readonly name = 'PidFileError';
  readonly code: 'ERUNNING' | LockError['code'];
  /** The running owner's pid (for `ERUNNING`). */
  readonly pid: number | undefined;
  readonly path: string;

  constructor(code: PidFileError['code'], message: string, path: string, pid?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.path = path;
    this.pid = pid;
  }
}

/**
 * The text of a pid file.
 * @example
 * formatPid(42); // "42\n"
 * formatPid(42, 'uuidd'); // "      42\n"
 */
export function formatPid(pid: number, format: PidFileFormat = 'plain'): string {
  return format === 'uuidd' ? `${String(pid).padStart(8)}\n` : `${pid}\n`;
}

/**
 * Parses a pid file's text (either format); undefined when it holds no pid.
 * @example
 * parsePid('      42\n'); // 42
 */
export function parsePid(text: string): number | undefined {
  const match = /^\s*(\d+)\s*$/.exec(text);
  if (match === null) return undefined;
  const pid = Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Creates pid files with the semantics of BSD pidfile(3): the file is guarded by the lock `${path}.lock`, so a
 * second instance is refused while the first lives and takes over as soon as it is dead.
 * @example
 * const createPidFile = createPidFileFactory(ports, createLocker(ports));
 * const pidFile = await createPidFile('/run/food.pid');
 */
export function createPidFileFactory(ports: LockPorts, locker: Pick<Locker, 'acquire'>) {
  return async function createPidFile(path: string, options: PidFileOptions = {}): Promise<PidFile> {
    const pid = options.pid ?? ports.host.pid;
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new TypeError(`lockfile: not a pid: ${pid}`);
    let lock: HeldLock;
    try {
      lock = await locker.acquire(path, {
        timeout: 0,
        ...(options.stale === undefined ? {} : { stale: options.stale }),
      });
    } catch (error) {
      if (!(error instanceof LockError)) throw error;
      if (error.code === 'ELOCKED') {
        const running = (await readPid(path)) ?? error.owner?.pid;
        throw new PidFileError(
          'ERUNNING',
          `${path} is held by running process ${running ?? '(unknown)'}`,
          path,
          running,
          error,
        );
      }
      throw new PidFileError(error.code, error.message, path, undefined, error);
    }
    const text = formatPid(pid, options.format);
    const temp = `${spareName(lock.lockPath, ownToken(ports, ports.probe.startTime(ports.host.pid)))}.pid`;
    try {
      if (pid !== ports.host.pid) await lock.adopt(pid);
      await ports.fs.writeFile(temp, text);
      await ports.fs.rename(temp, path);
    } catch (error) {
      try {
        await ports.fs.unlink(temp);
      } catch {}
      await lock.release();
      throw new PidFileError(
        'EIO',
        `cannot write ${path}: ${(error as Error).message}`,
        path,
        undefined,
        error,
      );
    }
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      forget();
      // Remove the file only while it still names us: a successor may already have written its own.
      try {
        if (parsePid(await ports.fs.readFile(path)) === pid) await ports.fs.unlink(path);
      } catch {}
      await lock.release();
    };
    // At exit, a pid file written for another live process (a daemon's child) stays, with its lock: it names
    // that process, which still runs.
    const releaseAtExit = () => {
      if (released) return;
      released = true;
      forget();
      if (pid !== ports.host.pid && ports.probe.isAlive(pid)) return;
      try {
        if (parsePid(ports.fs.atExit.readFile(path)) === pid) ports.fs.atExit.unlink(path);
      } catch {}
      lock.releaseAtExit();
    };
    const forget = ports.held?.hold(releaseAtExit) ?? (() => {});
    return {
      path,
      pid,
      release,
      [Symbol.asyncDispose]: release,
    };
  };

  async function readPid(path: string): Promise<number | undefined> {
    try {
      return parsePid(await ports.fs.readFile(path));
    } catch {
      return undefined;
    }
  }
}
