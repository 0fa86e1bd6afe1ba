/**
 * The file system a lock needs: a handful of metadata calls, all asynchronous, so that a hung network file system
 * stalls only the lock operation that waits on it, never the event loop (nor the heartbeats of other locks).
 * Failures reject with an error whose `code` is the errno name (`EEXIST`, `ENOENT`, `ENOTEMPTY`, `ENOTDIR`,
 * `EACCES`...), as Node's fs does.
 */
export interface LockFileSystem {
  /** Creates one directory (not recursive); `EEXIST` if something is there. */
  mkdir(path: string): Promise<void>;
  /** Renames `from` to `to`; a directory may replace an empty directory, never a non-empty one. */
  rename(from: string, to: string): Promise<void>;
  /** The names in a directory. */
  readdir(path: string): Promise<string[]>;
  /** A whole file as UTF-8 text. */
  readFile(path: string): Promise<string>;
  /** Creates or truncates a file with `data`. */
  writeFile(path: string, data: string): Promise<void>;
  /** Removes a file. */
  unlink(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /** Modification time and kind of an entry. */
  stat(path: string): Promise<{ readonly mtimeMs: number; readonly isDirectory: boolean }>;
  /** Sets the modification time of a file or directory (the heartbeat). */
  utimes(path: string, mtimeMs: number): Promise<void>;
  /** The canonical path of an existing entry (symbolic links resolved); `ENOENT` when it does not exist. */
  realpath(path: string): Promise<string>;
  /**
   * Creates a symbolic link at `path` whose target is the string `target` (never resolved); `EEXIST` if anything
   * is at `path`. An exclusive lock is such a link, its target the owner record: one atomic call.
   */
  symlink(target: string, path: string): Promise<void>;
  /** The target string of a symbolic link; `EINVAL` when `path` is not one. */
  readlink(path: string): Promise<string>;
  /** {@link stat} of the entry itself, not following a symbolic link. */
  lstat(
    path: string,
  ): Promise<{ readonly mtimeMs: number; readonly isDirectory: boolean; readonly isSymbolicLink: boolean }>;
  /** Sets the modification time of a symbolic link itself (the heartbeat of an exclusive lock). */
  lutimes(path: string, mtimeMs: number): Promise<void>;
  /** The calls made while the process exits, when nothing asynchronous runs any more. */
  readonly atExit: ExitFileSystem;
}

/**
 * The few synchronous calls that release locks from an exit or signal handler (each removes one name; they run
 * once, as the process ends).
 * @example
 * // fs: Node's file-system module (what `@suite/lockfile/node` passes)
 * const atExit: ExitFileSystem = {
 *   readFile: (path) => fs.readFileSync(path, 'utf8'),
 *   readlink: (path) => fs.readlinkSync(path),
 *   unlink: (path) => fs.unlinkSync(path),
 *   rmdir: (path) => fs.rmdirSync(path),
 * };
 */
export interface ExitFileSystem {
  readFile(path: string): string;
  readlink(path: string): string;
  unlink(path: string): void;
  rmdir(path: string): void;
}

/** Tells whether a process lives. */
export interface ProcessProbe {
  /**
   * Whether `pid` is a live process (a zombie is dead; a process of another user is alive); when `startTime` is
   * given and the platform can tell, a process with that pid but another start time (pid reuse) is dead.
   */
  isAlive(pid: number, startTime?: number): boolean;
  /** The start time of `pid`, where the platform can tell. */
  startTime(pid: number): number | undefined;
}

/** Wall time, monotonic time and timers. */
export interface LockClock {
  /** Wall-clock time in ms since the epoch (file times are compared with it). */
  now(): number;
  /** A monotonic time in ms (waits and observations are measured with it). */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's reason if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` every `ms` without keeping the process alive; returns a function that stops it. */
  every(ms: number, fn: () => void): () => void;
  /** Calls `fn` once after `ms` without keeping the process alive; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** This process and its host, as lock owners record them. */
export interface LockHost {
  readonly pid: number;
  readonly hostname: string;
  /** Changes at each boot (Linux: /proc/sys/kernel/random/boot_id); undefined where unknown. */
  readonly bootId?: string | undefined;
}

/** Randomness: tokens that name acquisitions, and jitter. */
export interface LockRandom {
  /** A fresh unguessable token of letters, digits, `-` and `_`. */
  token(): string;
  /** A number in [0, 1). */
  fraction(): number;
}

/**
 * Where the process keeps the locks it holds so that they are released when it exits or is killed by a signal.
 * `hold` returns a function that forgets the lock again.
 */
export interface HeldLocks {
  hold(releaseNow: () => void): () => void;
}

/**
 * Everything the platform-neutral core takes from its world.
 * @example
 * import { nodeLockPorts } from '@suite/lockfile/node';
 * const ports: LockPorts = { ...nodeLockPorts, clock: myTestClock };
 */
export interface LockPorts {
  readonly fs: LockFileSystem;
  readonly probe: ProcessProbe;
  readonly clock: LockClock;
  readonly host: LockHost;
  readonly random: LockRandom;
  /** Optional: the process-wide registry of held locks (the Node adapter releases them on exit and signals). */
  readonly held?: HeldLocks | undefined;
}
