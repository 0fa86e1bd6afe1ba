import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { appendFile, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from '../job.js';
import type { StatusStore } from '../ports.js';
import type { StatusRecord } from '../status-record.js';
import { HomeView, journalText, PUBLISHED_MARK } from './status-journal-view.js';

/** mm's status file, in the original's line format, under each home. */
export const STATUS_FILE = 'mm.status';
/** The full records ({@link StatusRecord} per job id) beside it. */
export const STATUS_RECORDS_FILE = 'mm.status.json';
/** Records written since mm.status.json was last rewritten, appended one per line (folded into it now and then). */
export const STATUS_JOURNAL_FILE = 'mm.status.journal';

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

interface HomeState {
  view?: HomeView;
  /** The stat signatures of mm.status and the journal when the view was last current. */
  signature: string;
  /** Set while this process writes the files (under the lock): the view is then the truth. */
  writing: boolean;
  pending: Map<string, StatusRecord>;
  scheduled?: Promise<void>;
  /** Ends the scheduled batch's wait early (set while it waits). */
  kick?: () => void;
  /** A flush came before the scheduled batch began to wait: it does not wait. */
  flushNow: boolean;
  /** A flush asked for mm.status to be brought up to date by the next batch. */
  publishNow: boolean;
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
async function readText(path: string, home: string, shown = path): Promise<string> {
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
        throw new Error(`cannot use ${shown}: no such directory: ${home}`);
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

/** Appends to the journal in one write (O_APPEND: other appenders' lines never interleave within it). */
async function appendJournal(path: string, text: string): Promise<void> {
  try {
    await appendFile(path, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new Error(`cannot write ${path}: ${REASONS[code] ?? (error as Error).message}`);
  }
}

/** The share of a run's time the store may spend rewriting whole files (beyond its first 10 ms). */
const REWRITE_SHARE = 0.02;
const REWRITE_ALLOWANCE_MS = 10;
/** Files this small are always rewritten (a bounded cost per batch): a small home's mm.status is always current. */
const SMALL_FILES = 32_768;
/** A guess of the cost of a rewrite (parsing included) before one was measured: 1 ms per 20 KB (then measured). */
const INITIAL_MS_PER_BYTE = 1 / 20_000;

/**
 * Keeps status records in each job's home, in three files:
 * - `mm.status`, the original's `site:package LAST_TRIED STATUS l|u PID` lines, so old tooling still reads it. It
 *   is replaced whole (by rename: readers see the old file or the new, never a torn one) after every batch while
 *   that is cheap, at least once a second or so during a long run of a big home (the store spends at most 2% of
 *   the run rewriting files), and always when the scheduler flushes (the end of a run, a barrier);
 * - `mm.status.journal`, where each batch of writes is appended (its cost does not grow with the home);
 * - `mm.status.json`, every {@link StatusRecord} field, one record per line, into which the journal is folded
 *   (compaction: the new file is renamed into place, then the journal is emptied) when the journal grows as big
 *   as it, or while that is cheap.
 * A crash (kill -9) at any moment leaves files the next run reads: a torn journal line is skipped, and a journal
 * folded in but not yet emptied is folded in again to the same result. Every change happens under the file lock
 * and merges into what is on disk (other runs' jobs and lines it does not understand are kept, in place). Reading
 * a few jobs of a big home does not parse the whole files.
 * @example
 * const store = statusFileStore({ fileLock: { withLock: (p, fn) => lockfile.withLock(p, fn) } });
 * await runJobs(plan.steps, { store, executor: shellExecutor() }).summary;
 */
export function statusFileStore(options: StatusFileStoreOptions = {}): StatusFileStore {
  const fileLock = options.fileLock ?? inProcessLock();
  const batchMs = options.batchMs ?? 50;
  const homes = new Map<string, HomeState>();
  const homeOf = (job: Job) => job.cwd ?? options.home ?? process.cwd();
  const began = Date.now();
  let rewriteMs = 0;
  let msPerByte = INITIAL_MS_PER_BYTE;
  const stateOf = (home: string): HomeState => {
    let state = homes.get(home);
    if (!state) {
      state = {
        pending: new Map(),
        tail: Promise.resolve(),
        writing: false,
        flushNow: false,
        publishNow: false,
        signature: '',
      };
      homes.set(home, state);
    }
    return state;
  };

  // One stat each of mm.status and the journal tells whether anyone (this store, another mm, the original mm)
  // has written since (a compaction replaces mm.status too).
  const signatures = (home: string) =>
    `${signature(join(home, STATUS_FILE))}|${signature(join(home, STATUS_JOURNAL_FILE))}`;

  /** The files' content, re-read only when their stat signature changed (another process wrote them). */
  const viewOf = async (home: string): Promise<HomeView> => {
    const state = stateOf(home);
    if (state.view && (state.writing || state.signature === signatures(home))) return state.view;
    for (;;) {
      const sig = signatures(home);
      // The journal first: a compaction renames mm.status.json into place before it empties the journal.
      const shown = join(home, STATUS_FILE);
      const journalText = await readText(join(home, STATUS_JOURNAL_FILE), home, shown);
      const recordsText = await readText(join(home, STATUS_RECORDS_FILE), home, shown);
      const statusText = await readText(join(home, STATUS_FILE), home);
      if (state.writing && state.view) return state.view;
      if (sig !== signatures(home)) continue; // written meanwhile: read again
      state.view = new HomeView(statusText, recordsText, journalText);
      state.signature = sig;
      return state.view;
    }
  };

  /** Whether a whole-file rewrite of `bytes` fits the store's time budget. */
  const affordable = (bytes: number) =>
    bytes <= SMALL_FILES ||
    rewriteMs + bytes * msPerByte <= REWRITE_ALLOWANCE_MS + REWRITE_SHARE * (Date.now() - began);

  const measured = (bytes: number, ms: number) => {
    rewriteMs += ms;
    if (bytes > 10_000) msPerByte = Math.max(msPerByte / 4, ms / bytes);
  };

  const writeBatch = async (
    home: string,
    batch: Map<string, StatusRecord>,
    publish: boolean,
  ): Promise<void> => {
    const statusPath = join(home, STATUS_FILE);
    await fileLock.withLock(statusPath, async () => {
      // Under the lock nobody else writes: update the view and the files.
      const state = stateOf(home);
      const view = await viewOf(home);
      state.writing = true;
      state.signature = '';
      try {
        const text = journalText(batch.values());
        await appendJournal(join(home, STATUS_JOURNAL_FILE), text);
        view.appended(batch.values(), text.length);
        const compactBytes = view.recordsBytes + view.journalBytes + view.statusBytes;
        // The journal is bounded by the size of the state it adds to (so reading it costs no more than the rest).
        const compact =
          view.journalBytes > Math.max(view.recordsBytes, view.statusBytes, 65_536) ||
          affordable(compactBytes);
        if (compact || publish || affordable(view.statusBytes)) {
          const t0 = performance.now();
          if (compact) {
            const records = view.recordsFileText();
            await replaceFile(join(home, STATUS_RECORDS_FILE), records);
            const status = view.statusFileText();
            await replaceFile(statusPath, status);
            view.published(status);
            await emptyJournal(join(home, STATUS_JOURNAL_FILE));
            view.compacted(records);
            measured(compactBytes, performance.now() - t0);
          } else {
            const status = view.statusFileText();
            await replaceFile(statusPath, status);
            // Readers then take mm.status as the authority on every record above the mark.
            await appendJournal(join(home, STATUS_JOURNAL_FILE), PUBLISHED_MARK);
            view.published(status);
            view.journalBytes += PUBLISHED_MARK.length;
            measured(status.length, performance.now() - t0);
          }
        }
        state.signature = signatures(home);
      } finally {
        state.writing = false;
      }
    });
  };

  const schedule = (home: string): Promise<void> => {
    const state = stateOf(home);
    if (!state.scheduled) {
      const scheduled = state.tail.then(async () => {
        // Let the writes of the next few ms join the batch: one append then serves many jobs.
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
        const publish = state.publishNow;
        state.publishNow = false;
        const batch = state.pending;
        state.pending = new Map();
        if (batch.size === 0 && !(publish && state.view && state.view.unpublished.size > 0)) return;
        return writeBatch(home, batch, publish);
      });
      state.scheduled = scheduled;
      state.tail = scheduled.catch(() => {});
    }
    return state.scheduled;
  };

  return {
    async read(job) {
      const home = homeOf(job);
      return stateOf(home).pending.get(job.id) ?? (await viewOf(home)).read(job.id);
    },
    write(job, record) {
      const home = homeOf(job);
      stateOf(home).pending.set(job.id, record);
      return schedule(home);
    },
    flush() {
      for (const [home, state] of homes) {
        if (!state.scheduled && !(state.view && state.view.unpublished.size > 0)) continue;
        state.publishNow = true;
        if (state.kick) state.kick();
        else state.flushNow = true;
        schedule(home).catch(() => {}); // a failure is the writers' to report
      }
    },
    async readAll(home) {
      return (await viewOf(home)).readAll();
    },
  };
}

/** Empties the journal once it is folded into mm.status.json (a crash before this folds it in again: harmless). */
async function emptyJournal(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`cannot write ${path}: ${(error as Error).message}`);
  }
}
