/**
 * @suite/lockfile — the platform-neutral core: inter-process locks and pid files over small ports.
 * Node users import `@suite/lockfile/node`, which binds these to node:fs and the process table.
 */
export type { Backoff, RetryOptions } from './backoff.js';
export {
  type AcquireOptions,
  createLocker,
  type HeldLock,
  type IsLockedOptions,
  type Locker,
  type LockHandle,
} from './lock.js';
export { LockError, type LockErrorCode } from './lock-error.js';
export { type LockOwner, type ProcessRef, sameHost } from './owner.js';
export {
  createPidFileFactory,
  formatPid,
  type PidFile,
  PidFileError,
  type PidFileFormat,
  type PidFileOptions,
  parsePid,
} from './pid-file.js';
export type {
  ExitFileSystem,
  HeldLocks,
  LockClock,
  LockFileSystem,
  LockHost,
  LockPorts,
  LockRandom,
  ProcessProbe,
} from './ports.js';
