import { randomBytes } from 'node:crypto';
import { readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { MirrorPlan } from '@suite/mirror-scheduler/mm';
import {
  HISTORY_FILE,
  historyFileStore,
  type Job,
  type LockPort,
  type ParsedJournal,
  type StatusRecord,
  type StatusSnapshot,
  statusFileStore,
  statusSnapshot,
} from '@suite/mirror-scheduler/node';
import { jobLockPath, lockfileFileLock, lockfileJobLocks } from './lock-ports.js';

/**
 * The job locks, asked only about jobs whose lock file (`NAME.lock`, as @suite/lockfile names it) is listed in
 * their home's mm.locks/: one directory read per home instead of a lock probe per job (10,000 jobs: ~10,000
 * failed probes saved). A listed lock is still checked by @suite/lockfile (liveness, stale owners).
 */
function listedLocks(locks: LockPort): LockPort {
  const listings = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  const listing = (dir: string) => {
    let names = listings.get(dir);
    if (!names) {
      names = readdir(dir).then(
        (entries) => new Set(entries),
        () => undefined,
      );
      listings.set(dir, names);
    }
    return names;
  };
  // The lock directory of each home, found once per home: most homes have no lock listed at all.
  const dirs = new Map<string | undefined, string>();
  return {
    tryLock: (job) => locks.tryLock(job),
    async holder(job) {
      let dir = dirs.get(job.cwd);
      if (dir === undefined) {
        dir = dirname(jobLockPath(job, process.cwd()));
        dirs.set(job.cwd, dir);
      }
      const names = await listing(dir);
      if (names === undefined || names.size === 0) return undefined;
      const path = jobLockPath(job, process.cwd());
      return names.has(`${basename(path)}.lock`) ? locks.holder(job) : undefined;
    },
  };
}

/** The run history mm keeps beside mm.status.json in each home (10 runs per job). */
export const mmHistory = () => historyFileStore({ fileLock: lockfileFileLock });

/** The status and history stores mm reads for its status page; `mm serve` keeps one pair for its lifetime. */
export function planStores() {
  return { files: statusFileStore({ fileLock: lockfileFileLock }), history: mmHistory() };
}

/**
 * The status of every job of the plan now, read from the files mm keeps: mm.status(.json), the job locks and
 * mm.history.jsonl. A damaged history is reported in the snapshot's notes, not as an error.
 */
export async function planSnapshot(
  plan: MirrorPlan,
  stores = planStores(),
  options: { readonly totals?: boolean } = {},
): Promise<StatusSnapshot> {
  // Each home's files are read once, whole, and every job is answered from memory: 10,000 jobs, one read each.
  // The stores re-parse a file only when its stat changed, so a server that keeps them parses each change once.
  const { files, history } = stores;
  const records = new Map<string, ReadonlyMap<string, StatusRecord>>();
  const journals = new Map<string, ParsedJournal>();
  const notes: string[] = [];
  for (const home of plan.homes) {
    records.set(home, await files.readAll(home));
    // A page needs only each job's last runs; /metrics needs the totals of all of them.
    const journal = await history.readHome(home, { totals: options.totals !== false });
    journals.set(home, journal);
    if (journal.damaged > 0)
      notes.push(
        `${join(home, HISTORY_FILE)}: ${journal.damaged} damaged line${journal.damaged === 1 ? '' : 's'} ignored`,
      );
  }
  const homeOf = (job: Job) => job.cwd ?? process.cwd();
  const readOnly = async () => {
    throw new Error('the status page writes nothing');
  };
  return statusSnapshot(plan.steps, {
    store: { read: async (job) => records.get(homeOf(job))?.get(job.id), write: readOnly },
    locks: listedLocks(lockfileJobLocks(process.cwd())),
    history: { read: async (job) => journals.get(homeOf(job))?.jobs.get(job.id), append: readOnly },
    skip: plan.skip,
    notes,
  });
}

/**
 * Replaces `path` with `text` by writing a temporary file beside it and renaming it over: a web server serving
 * the file sees the old page or the new one, never half of one.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { flag: 'wx', mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}
