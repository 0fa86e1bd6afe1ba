import { readFileSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import {
  acquire,
  isLocked,
  LockError,
  type LockHandle,
  type LockOwner,
  readOwner,
  withLock,
} from '@suite/lockfile/node';
import type { Job, LockHolder, LockPort } from '@suite/mirror-scheduler';
import type { FileLock, JobKeeper } from '@suite/mirror-scheduler/node';

/** The directory under each home that holds one lock per job. */
export const LOCK_DIR = 'mm.locks';

/** Where a job's lock lives: `HOME/mm.locks/<site:package, %-encoded>` (+ `.lock`, by @suite/lockfile). */
export function jobLockPath(job: Job, fallbackHome: string): string {
  return join(job.cwd ?? fallbackHome, LOCK_DIR, encodeURIComponent(job.id));
}

/** Whether `pid` is mm's fork helper (named in job locks as adopted; it is not the job's process). */
function isForkHelper(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('fork-server.pl');
  } catch {
    return false;
  }
}

/** Who holds a lock; a fork helper named in it is left out of `pids` (those are the job's processes). */
function holderOf(owner: LockOwner | undefined): LockHolder | undefined {
  if (owner === undefined) return undefined;
  const pids = (owner.pids ?? []).filter((pid) => !isForkHelper(pid));
  return {
    pid: owner.pid,
    hostname: owner.hostname,
    since: owner.created,
    ...(pids.length ? { pids } : {}),
  };
}

/**
 * Per-job locks on @suite/lockfile: one atomic try (`timeout: 0`) before a job starts; the job's process is
 * adopted, so if mm dies (even kill -9) the job stays locked until that process has ended too. Liveness is
 * checked by pid and process start time, so a reused pid or another user's process does not look like a holder.
 *
 * Each home's mm.locks is made (if missing) and resolved to its real path once per run, so that a job's lock costs
 * one call to take (a symbolic link) and two to give back; if the directory is removed during the run, it is made
 * again.
 *
 * With `keeper` (the resident helper that forks the jobs and, once mm is gone, waits for them before it exits:
 * forkServerExecutor's), each lock names the helper as adopted when it is taken, so the job's process need not be
 * adopted afterwards (two more calls, and a read of /proc, per job); a job started by another helper than the one
 * its lock names (the first died) is adopted as before, and so is every running job if its helper is lost.
 */
export function lockfileJobLocks(
  fallbackHome: string,
  keeper?: (start?: boolean) => JobKeeper | undefined,
): LockPort {
  const dirs = new Map<string, Promise<string>>();
  const lockDir = (home: string, again = false): Promise<string> => {
    let dir = dirs.get(home);
    if (dir === undefined || again) {
      const path = join(home, LOCK_DIR);
      dir = mkdir(path, { recursive: true }).then(() => realpath(path));
      dirs.set(home, dir);
      dir.catch(() => dirs.delete(home));
    }
    return dir;
  };
  /** Jobs running under a helper named in their lock, by pid: adopted for real if that helper is lost. */
  const kept = new Map<number, LockHandle>();
  let watched: JobKeeper | undefined;
  const watch = (k: JobKeeper) => {
    if (watched?.lost === k.lost) return;
    watched = k;
    void k.lost.then(() => {
      for (const [pid, handle] of kept) handle.adopt(pid).catch(() => {});
      kept.clear();
    });
  };
  const take = async (job: Job, helper: JobKeeper | undefined, again = false) => {
    const path = join(await lockDir(job.cwd ?? fallbackHome, again), encodeURIComponent(job.id));
    return acquire(path, { timeout: 0, realpath: false, ...(helper ? { adopted: [helper.pid] } : {}) });
  };
  return {
    async tryLock(job) {
      const path = jobLockPath(job, fallbackHome);
      const helper = keeper?.();
      try {
        const handle = await take(job, helper).catch((error: unknown) => {
          if (error instanceof LockError && error.code === 'ENOENT') return take(job, helper, true);
          throw error;
        });
        let keptPid: number | undefined;
        return {
          acquired: true,
          lock: {
            adopt: async (pid) => {
              const now = keeper?.(false);
              if (helper === undefined || now?.lost !== helper.lost) return handle.adopt(pid);
              watch(helper);
              keptPid = pid;
              kept.set(pid, handle);
            },
            release: () => {
              if (keptPid !== undefined) kept.delete(keptPid);
              return handle.release();
            },
          },
        };
      } catch (error) {
        if (error instanceof LockError && error.code === 'ELOCKED') {
          const holder = holderOf(error.owner ?? (await readOwner(path).catch(() => undefined)));
          return holder ? { acquired: false, holder } : { acquired: false };
        }
        throw error;
      }
    },
    async holder(job) {
      const path = jobLockPath(job, fallbackHome);
      if (!(await isLocked(path).catch(() => false))) return undefined;
      return holderOf(await readOwner(path).catch(() => undefined)) ?? {};
    },
  };
}

/** The status files' read-modify-write lock, across processes (mm.status.lock beside mm.status). */
export const lockfileFileLock: FileLock = {
  withLock: (path, fn) => withLock(path, () => fn(), { timeout: 60_000 }),
};
