/**
 * @suite/lockfile/node — inter-process locks and pid files for Node: the core bound to node:fs, the process
 * table and this host, with held locks released on exit and on SIGINT/SIGTERM/SIGHUP.
 */
import { resolve } from 'node:path';
import {
  type AcquireOptions,
  createLocker,
  type IsLockedOptions,
  type LockHandle,
  type LockPorts,
} from '../index.js';
import type { LockOwner } from '../owner.js';
import { createPidFileFactory, type PidFile, type PidFileOptions } from '../pid-file.js';
import { processHeldLocks } from './held-locks.js';
import {
  nodeBlockingFileSystem,
  nodeClock,
  nodeFileSystem,
  nodeHost,
  nodeProcessProbe,
  nodeRandom,
} from './ports.js';

export * from '../index.js';

/**
 * The lock's file-system port with synchronous calls, for programs on a local disk that want the fastest locks:
 * each call blocks the event loop for one short system call (on a hung network file system: for as long as it
 * hangs). The default, {@link nodeLockPorts}' `fs`, is asynchronous.
 * @example
 * import { createLocker } from '@suite/lockfile';
 * import { nodeBlockingFileSystem, nodeLockPorts } from '@suite/lockfile/node';
 * const { acquire } = createLocker({ ...nodeLockPorts, fs: nodeBlockingFileSystem });
 */
export { nodeBlockingFileSystem };

/**
 * The core's ports as the Node entry binds them (useful to build a locker with one port replaced).
 * @example
 * import { createLocker } from '@suite/lockfile';
 * const locker = createLocker({ ...nodeLockPorts, held: undefined }); // locks not released by exit handlers
 */
export const nodeLockPorts: LockPorts = {
  fs: nodeFileSystem,
  probe: nodeProcessProbe,
  clock: nodeClock,
  host: nodeHost,
  random: nodeRandom,
  held: processHeldLocks,
};

const locker = createLocker(nodeLockPorts);
const pidFiles = createPidFileFactory(nodeLockPorts, locker);

/**
 * Acquires the lock on `path` (the lock is the directory `${path}.lock`; `path` itself need not exist, only its
 * directory). Rejects with a {@link LockError}: `ELOCKED` when held (at once with the default `timeout: 0`),
 * `ETIMEOUT`, `EABORTED`, `ENOENT` (no such directory), `EACCES`, `ENOTDIR`.
 * @example
 * import { acquire } from '@suite/lockfile/node';
 * await using lock = await acquire('/srv/data/counter', { timeout: 10_000 });
 * // ... only one process at a time runs here ...
 */
export function acquire(path: string, options?: AcquireOptions): Promise<LockHandle> {
  return locker.acquire(resolve(path), options);
}

/**
 * Runs `fn` while holding the lock on `path`, and releases it however `fn` ends.
 * @example
 * import { withLock } from '@suite/lockfile/node';
 * const next = await withLock('/srv/data/counter', async () => bump(), { timeout: 5_000 });
 */
export function withLock<T>(
  path: string,
  fn: (lock: LockHandle) => Promise<T> | T,
  options?: AcquireOptions,
): Promise<T> {
  return locker.withLock(resolve(path), fn, options);
}

/**
 * Whether a live (non-stale) lock is held on `path`.
 * @example
 * import { isLocked } from '@suite/lockfile/node';
 * if (await isLocked('/srv/data/counter')) console.log('busy');
 */
export function isLocked(path: string, options?: IsLockedOptions): Promise<boolean> {
  return locker.isLocked(resolve(path), options);
}

/**
 * Who holds the lock on `path` (even a stale holder), or undefined when nobody does.
 * @example
 * import { readOwner } from '@suite/lockfile/node';
 * const owner = await readOwner('/srv/data/counter'); // { pid: 4242, hostname: 'db2', ... }
 */
export function readOwner(path: string): Promise<LockOwner | undefined> {
  return locker.readOwner(resolve(path));
}

/**
 * Creates and holds a pid file like BSD pidfile(3) and uuidd: refuses with {@link PidFileError} `ERUNNING`
 * (and the running pid) while a live process holds it, takes over when its owner is dead, and removes it on
 * `release()`, on exit and on SIGINT/SIGTERM/SIGHUP.
 * @example
 * import { createPidFile } from '@suite/lockfile/node';
 * const pidFile = await createPidFile('/run/uuidd/uuidd.pid', { format: 'uuidd' }); // "    4242\n"
 */
export function createPidFile(path: string, options?: PidFileOptions): Promise<PidFile> {
  return pidFiles(resolve(path), options);
}
