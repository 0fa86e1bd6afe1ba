import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from '../job.js';
import type { StatusStore } from '../ports.js';
import {
  formatStatusFile,
  mergeStatusFile,
  parseStatusFile,
  recordOfStatusLine,
  statusLineOf,
} from '../status-line.js';
import type { StatusRecord } from '../status-record.js';

/** mm's status file, in the original's line format, under each home. */
export const STATUS_FILE = 'mm.status';
/** The full records ({@link StatusRecord} per job id) beside it. */
export const STATUS_RECORDS_FILE = 'mm.status.json';

/** Serialises read-modify-write of a status file between processes (the mm CLI uses @suite/lockfile). */
export interface FileLock {
  withLock<T>(path: string, fn: () => Promise<T>): Promise<T>;
}

/** How {@link statusFileStore} finds and guards its files. */
export interface StatusFileStoreOptions {
  /** Guards each rewrite. @default an in-process mutex (enough for one process; not across processes) */
  readonly fileLock?: FileLock;
  /** The home of jobs without a `cwd`. @default process.cwd() */
  readonly home?: string;
}

/** A {@link StatusStore} on mm.status + mm.status.json, plus whole-file reads for status tables. */
export interface StatusFileStore extends StatusStore {
  /** Every record under `home` (lines of the original mm without a JSON record are converted). */
  readAll(home: string): Promise<Map<string, StatusRecord>>;
}

interface HomeState {
  signature?: string;
  records?: Map<string, StatusRecord>;
  pending: Map<string, StatusRecord>;
  scheduled?: Promise<void>;
  tail: Promise<void>;
}

function inProcessLock(): FileLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    withLock(path, fn) {
      const run = (tails.get(path) ?? Promise.resolve()).then(fn, fn);
      tails.set(
        path,
        run.catch(() => {}),
      );
      return run;
    },
  };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

async function signature(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return '-';
  }
}

/** Writes beside the target, then renames over it: readers see the old file or the new one, never a torn one. */
async function replaceFile(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text, { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

function parseRecords(text: string): Record<string, StatusRecord> {
  if (text.trim() === '') return {};
  try {
    const data = JSON.parse(text) as { jobs?: Record<string, StatusRecord> };
    return data.jobs && typeof data.jobs === 'object' ? data.jobs : {};
  } catch {
    return {}; // a damaged records file only loses the extra detail; mm.status still has every job
  }
}

/** mm.status is the authority on the last start; the JSON record adds detail when it describes the same run. */
function combine(statusText: string, recordsText: string): Map<string, StatusRecord> {
  const detailed = parseRecords(recordsText);
  const out = new Map<string, StatusRecord>();
  for (const entry of parseStatusFile(statusText)) {
    if (entry.kind !== 'job' || out.has(entry.line.id)) continue;
    const rich = Object.hasOwn(detailed, entry.line.id) ? detailed[entry.line.id] : undefined;
    const sameRun = rich !== undefined && Math.floor((rich.lastStarted ?? 0) / 1000) === entry.line.lastTried;
    out.set(entry.line.id, sameRun ? rich : recordOfStatusLine(entry.line));
  }
  return out;
}

/**
 * Keeps status records in mm.status (the original's `site:package LAST_TRIED STATUS l|u PID` lines, so old
 * tooling still reads it) and mm.status.json (every {@link StatusRecord} field) in each job's home. Every
 * rewrite happens under the file lock, merges into what is on disk (other runs' jobs and lines it does not
 * understand are kept, in place) and replaces the files by rename. Writes that arrive together are batched.
 * @example
 * const store = statusFileStore({ fileLock: { withLock: (p, fn) => lockfile.withLock(p, fn) } });
 * await runJobs(plan.steps, { store, executor: shellExecutor() }).summary;
 */
export function statusFileStore(options: StatusFileStoreOptions = {}): StatusFileStore {
  const fileLock = options.fileLock ?? inProcessLock();
  const homes = new Map<string, HomeState>();
  const homeOf = (job: Job) => job.cwd ?? options.home ?? process.cwd();
  const stateOf = (home: string): HomeState => {
    let state = homes.get(home);
    if (!state) {
      state = { pending: new Map(), tail: Promise.resolve() };
      homes.set(home, state);
    }
    return state;
  };

  const load = async (home: string): Promise<Map<string, StatusRecord>> => {
    const state = stateOf(home);
    const statusPath = join(home, STATUS_FILE);
    const recordsPath = join(home, STATUS_RECORDS_FILE);
    const sig = `${await signature(statusPath)}|${await signature(recordsPath)}`;
    if (state.records && state.signature === sig) return state.records;
    const records = combine(await readText(statusPath), await readText(recordsPath));
    state.records = records;
    state.signature = sig;
    return records;
  };

  const writeBatch = async (home: string, batch: Map<string, StatusRecord>): Promise<void> => {
    const statusPath = join(home, STATUS_FILE);
    const recordsPath = join(home, STATUS_RECORDS_FILE);
    await fileLock.withLock(statusPath, async () => {
      const entries = parseStatusFile(await readText(statusPath));
      const detailed = parseRecords(await readText(recordsPath));
      for (const [id, record] of batch) detailed[id] = record;
      await replaceFile(
        recordsPath,
        `${JSON.stringify({ format: 'mm.status.json/1', jobs: detailed }, null, 1)}\n`,
      );
      const lines = [...batch.values()].map(statusLineOf);
      await replaceFile(statusPath, formatStatusFile(mergeStatusFile(entries, lines)));
    });
    stateOf(home).signature = undefined;
  };

  return {
    async read(job) {
      const home = homeOf(job);
      return stateOf(home).pending.get(job.id) ?? (await load(home)).get(job.id);
    },
    write(job, record) {
      const home = homeOf(job);
      const state = stateOf(home);
      state.pending.set(job.id, record);
      if (!state.scheduled) {
        const scheduled = state.tail.then(() => {
          state.scheduled = undefined;
          const batch = state.pending;
          state.pending = new Map();
          return writeBatch(home, batch);
        });
        state.scheduled = scheduled;
        state.tail = scheduled.catch(() => {});
      }
      return state.scheduled;
    },
    async readAll(home) {
      return new Map(await load(home));
    },
  };
}
