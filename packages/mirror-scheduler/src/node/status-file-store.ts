import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from '../job.js';
import type { StatusStore } from '../ports.js';
import {
  formatStatusFile,
  mergeStatusFile,
  parseStatusFile,
  recordOfStatusLine,
  type StatusFileEntry,
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
  /**
   * How long a write waits for others to join its batch (each write resolves once its batch is on disk; a job's
   * lock is released only after that). Each rewrite costs in proportion to the files' size (a home of 1000 jobs:
   * ~250 KB, a few ms of CPU), so a longer window means fewer rewrites. @default 50
   */
  readonly batchMs?: number;
}

/** A {@link StatusStore} on mm.status + mm.status.json, plus whole-file reads for status tables. */
export interface StatusFileStore extends StatusStore {
  /** Every record under `home` (lines of the original mm without a JSON record are converted). */
  readAll(home: string): Promise<Map<string, StatusRecord>>;
}

/** Both files as last read or written, and the stat signature they had then. */
interface Snapshot {
  signature: string;
  entries: readonly StatusFileEntry[];
  /** The JSON file's records, each with its serialised line (kept so a rewrite re-serialises only changes). */
  readonly detailed: Map<string, { readonly record: StatusRecord; readonly json: string }>;
  readonly records: Map<string, StatusRecord>;
}

interface HomeState {
  snapshot?: Snapshot;
  /** Set while this process rewrites the files (under the lock): the snapshot is then the truth. */
  writing: boolean;
  /** Counts this process's rewrites. */
  generation: number;
  pending: Map<string, StatusRecord>;
  scheduled?: Promise<void>;
  /** Ends the scheduled batch's wait early (set while it waits). */
  kick?: () => void;
  /** A flush came before the scheduled batch began to wait: it does not wait. */
  flushNow: boolean;
  tail: Promise<void>;
}

/** The default {@link FileLock}: serialises the callers of one process, per path (other processes are not seen). */
export function inProcessLock(): FileLock {
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

const REASONS: Readonly<Record<string, string>> = {
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of its path is not a directory',
};

/** A status file's text ('' if it does not exist yet, when its home does); a message naming it otherwise. */
async function readText(path: string, home: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT') {
      // Refused before any job starts: its status could never be written.
      if (
        !(await stat(home)
          .then((s) => s.isDirectory())
          .catch(() => false))
      )
        throw new Error(`cannot use ${path}: no such directory: ${home}`);
      return '';
    }
    throw new Error(`cannot read ${path}: ${REASONS[code] ?? (error as Error).message}`);
  }
}

/** The file's identity and version. A synchronous stat: one short system call, cheaper than a thread-pool trip. */
function signature(path: string): string {
  try {
    const s = statSync(path);
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
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new Error(`cannot write ${path}: ${REASONS[code] ?? (error as Error).message}`);
  }
}

const jsonLine = (id: string, record: StatusRecord) => `${JSON.stringify(id)}:${JSON.stringify(record)}`;

function parseRecords(text: string): Snapshot['detailed'] {
  const out: Snapshot['detailed'] = new Map();
  if (text.trim() === '') return out;
  try {
    const data = JSON.parse(text) as { jobs?: Record<string, StatusRecord> };
    if (data.jobs && typeof data.jobs === 'object') {
      for (const [id, record] of Object.entries(data.jobs))
        out.set(id, { record, json: jsonLine(id, record) });
    }
  } catch {
    // A damaged records file only loses the extra detail; mm.status still has every job.
  }
  return out;
}

/** mm.status is the authority on the last start; the JSON record adds detail when it describes the same run. */
function combine(
  entries: readonly StatusFileEntry[],
  detailed: Snapshot['detailed'],
): Map<string, StatusRecord> {
  const out = new Map<string, StatusRecord>();
  for (const entry of entries) {
    if (entry.kind !== 'job' || out.has(entry.line.id)) continue;
    const rich = detailed.get(entry.line.id)?.record;
    const sameRun = rich !== undefined && statusLineOf(rich).lastTried === entry.line.lastTried;
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
  const batchMs = options.batchMs ?? 50;
  const homes = new Map<string, HomeState>();
  const homeOf = (job: Job) => job.cwd ?? options.home ?? process.cwd();
  const stateOf = (home: string): HomeState => {
    let state = homes.get(home);
    if (!state) {
      state = { pending: new Map(), tail: Promise.resolve(), writing: false, generation: 0, flushNow: false };
      homes.set(home, state);
    }
    return state;
  };

  // mm.status is always written last, so its stat alone tells whether anyone (this store, another mm, the
  // original mm) has written since: one stat per read.
  const signatures = (home: string) => signature(join(home, STATUS_FILE));

  /** The files' content, re-read only when their stat signature changed (another process wrote them). */
  const snapshot = async (home: string): Promise<Snapshot> => {
    const state = stateOf(home);
    // While (or since) this process rewrote the files, its snapshot is the truth: do not race our own rename.
    const settled = () => state.snapshot && (state.writing || state.generation !== generation);
    const generation = state.generation;
    if (state.writing && state.snapshot) return state.snapshot;
    const sig = signatures(home);
    if (settled() || state.snapshot?.signature === sig) return state.snapshot!;
    const statusText = await readText(join(home, STATUS_FILE), home);
    const recordsText = await readText(join(home, STATUS_RECORDS_FILE), home);
    if (settled()) return state.snapshot!;
    const entries = parseStatusFile(statusText);
    const detailed = parseRecords(recordsText);
    state.snapshot = { signature: sig, entries, detailed, records: combine(entries, detailed) };
    return state.snapshot;
  };

  const writeBatch = async (home: string, batch: Map<string, StatusRecord>): Promise<void> => {
    const statusPath = join(home, STATUS_FILE);
    await fileLock.withLock(statusPath, async () => {
      // Under the lock nobody else writes: update the snapshot in place and write it out whole.
      const state = stateOf(home);
      const snap = await snapshot(home);
      state.snapshot = snap;
      state.writing = true;
      state.generation += 1;
      try {
        for (const [id, record] of batch) {
          snap.detailed.set(id, { record, json: jsonLine(id, record) });
          snap.records.set(id, record);
        }
        snap.entries = mergeStatusFile(snap.entries, [...batch.values()].map(statusLineOf));
        snap.signature = ''; // until both files are written: if writing fails, the next read re-reads them
        // One record per line: cheap to rewrite, and readable with grep.
        const jobs = [...snap.detailed.values()].map((d) => d.json).join(',\n');
        await replaceFile(
          join(home, STATUS_RECORDS_FILE),
          `{"format":"mm.status.json/1","jobs":{\n${jobs}\n}}\n`,
        );
        await replaceFile(statusPath, formatStatusFile(snap.entries));
        snap.signature = signatures(home);
      } finally {
        state.writing = false;
      }
    });
  };

  return {
    async read(job) {
      const home = homeOf(job);
      return stateOf(home).pending.get(job.id) ?? (await snapshot(home)).records.get(job.id);
    },
    write(job, record) {
      const home = homeOf(job);
      const state = stateOf(home);
      state.pending.set(job.id, record);
      if (!state.scheduled) {
        const scheduled = state.tail.then(async () => {
          // Let the writes of the next few ms join the batch: one rewrite then serves many jobs.
          if (!state.flushNow) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, batchMs);
              state.kick = () => {
                clearTimeout(timer);
                resolve();
              };
            });
          }
          state.kick = undefined;
          state.flushNow = false;
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
    flush() {
      for (const state of homes.values()) {
        if (!state.scheduled) continue;
        if (state.kick) state.kick();
        else state.flushNow = true;
      }
    },
    async readAll(home) {
      return new Map((await snapshot(home)).records);
    },
  };
}
