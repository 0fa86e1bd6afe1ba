import type { Clock, JobLock, LockAttempt, LockPort, StatusStore, Timers } from './ports.js';
import type { StatusRecord } from './status-record.js';

/** `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() };

/** The global `setTimeout`/`clearTimeout`. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * Status records kept in a Map: for tests, and for CI scripts that keep no state between runs.
 * @example
 * const store = createMemoryStatusStore();
 * await runJobs(jobs, { store, executor }).summary;
 * store.records.get('a:b')?.lastOk;
 */
export function createMemoryStatusStore(
  initial: Iterable<StatusRecord> = [],
): StatusStore & { readonly records: Map<string, StatusRecord> } {
  const records = new Map([...initial].map((r) => [r.id, r]));
  return {
    records,
    read: async (job) => records.get(job.id),
    write: async (_job, record) => {
      records.set(record.id, record);
    },
  };
}

/**
 * Locks that exclude jobs within this process only. Share one between runs in one process; across processes use
 * a file lock (the mm CLI adapts @suite/lockfile).
 * @example
 * const locks = createMemoryLocks();
 * await Promise.all([runJobs(jobs, { locks }).summary, runJobs(jobs, { locks }).summary]); // no job twice at once
 */
export function createMemoryLocks(): LockPort & { readonly held: ReadonlySet<string> } {
  const held = new Set<string>();
  return {
    held,
    async tryLock(job): Promise<LockAttempt> {
      if (held.has(job.id)) return { acquired: false };
      held.add(job.id);
      let released = false;
      const lock: JobLock = {
        release: async () => {
          if (!released) held.delete(job.id);
          released = true;
        },
      };
      return { acquired: true, lock };
    },
    holder: async (job) => (held.has(job.id) ? {} : undefined),
  };
}
