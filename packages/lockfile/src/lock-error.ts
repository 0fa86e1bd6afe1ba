import { type LockOwner, sameHost } from './owner.js';

/**
 * Why a lock operation failed:
 * - `ELOCKED`: someone else holds the lock (and `timeout` was 0 or the `retries` ran out);
 * - `ETIMEOUT`: the lock stayed held for the whole `timeout`;
 * - `ECOMPROMISED`: our lock was removed or replaced behind our back;
 * - `EABORTED`: the `signal` aborted the wait;
 * - `ENOENT`: the directory that should hold the lock does not exist;
 * - `EACCES`: the directory that should hold the lock is not writable;
 * - `ENOTDIR`: the lock path exists and is not a lock directory (e.g. a plain file);
 * - `ERELEASED`: the handle was already released;
 * - `EIO`: any other file-system failure (the message carries the original error).
 */
export type LockErrorCode =
  | 'ELOCKED'
  | 'ETIMEOUT'
  | 'ECOMPROMISED'
  | 'EABORTED'
  | 'ENOENT'
  | 'EACCES'
  | 'ENOTDIR'
  | 'ERELEASED'
  | 'EIO';

/**
 * The error every lock operation rejects with; `code` says why, `owner` names the holder when there is one.
 * @example
 * try {
 *   await acquire('/var/run/job');
 * } catch (error) {
 *   if (error instanceof LockError && error.code === 'ELOCKED') console.log(`held by pid ${error.owner?.pid}`);
 * }
 */
export class LockError extends Error {
  override readonly name = 'LockError';
  /** Why the operation failed. */
  readonly code: LockErrorCode;
  /** The lock path (`<path>.lock`) concerned. */
  readonly lockPath: string;
  /** The holder of the lock, when one is known. */
  readonly owner: LockOwner | undefined;

  constructor(
    code: LockErrorCode,
    message: string,
    options: { lockPath: string; owner?: LockOwner | undefined; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.lockPath = options.lockPath;
    this.owner = options.owner;
  }
}

/** Describes a holder for a message: `pid 1234` or `pid 1234 on host "db2"`. */
export function describeOwner(owner: LockOwner | undefined, hostname: string): string {
  if (owner === undefined) return 'an unknown holder';
  return sameHost(owner.hostname, hostname)
    ? `pid ${owner.pid}`
    : `pid ${owner.pid} on host "${owner.hostname}"`;
}
