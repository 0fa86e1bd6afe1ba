import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive } from '@suite/internal/node';
import {
  formatCompactedJournal,
  formatJournalRun,
  JOURNAL_FORMAT,
  type ParsedJournal,
  parseJournal,
  parseJournalTail,
} from '../history-journal.js';
import type { Job } from '../job.js';
import type { RunEntry, RunHistoryStore } from '../run-history.js';
import { type FileLock, inProcessLock } from './status-file-store.js';

/** The run history journal, beside mm.status and mm.status.json in each home. */
export const HISTORY_FILE = 'mm.history.jsonl';

/** How {@link historyFileStore} keeps its journals. */
export interface HistoryFileStoreOptions {
  /** Guards each append and compaction (the mm CLI uses @suite/lockfile). @default an in-process mutex */
  readonly fileLock?: FileLock;
  /** The home of jobs without a `cwd`. @default process.cwd() */
  readonly home?: string;
  /** Runs kept per job; older ones are folded into its totals. @default 10 */
  readonly keep?: number;
  /** How long an append waits for others to join its batch. @default 50 */
  readonly batchMs?: number;
  /**
   * The journal is compacted once it is this many bytes over one and a half times its compacted size (one never
   * compacted: once it is over this many bytes; one an older mm compacted, `mm.history/1`: at its next append).
   * @default 65536
   */
  readonly slackBytes?: number;
}

/** A {@link RunHistoryStore} on `mm.history.jsonl` files, plus whole-journal reads. */
export interface HistoryFileStore extends RunHistoryStore {
  /**
   * Every job's history under `home` (an absent journal is empty; damaged lines are counted, not fatal). With
   * `{ totals: false }` only the last runs are read (see `parseJournalTail`): what a status page needs, faster.
   */
  readHome(home: string, options?: { readonly totals?: boolean }): Promise<ParsedJournal>;
}

function signature(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return '-';
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Removes temporaries that a compaction killed mid-way left (their writer's pid is in the name and is gone). */
async function sweepTemporaries(home: string): Promise<void> {
  const names = await readdir(home).catch(() => [] as string[]);
  for (const name of names) {
    const m = /^mm\.history\.jsonl\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isProcessAlive(Number(m[1])))
      await unlink(join(home, name)).catch(() => {});
  }
}

/**
 * The journal's compacted size, from its header line (0 if it has none: never compacted), and whether an older mm
 * compacted it (`mm.history/1`, a line per run): then the next append converts it to the current format.
 */
function headerOf(head: string): { compacted: number; old: boolean } {
  const first = head.slice(0, head.indexOf('\n') + 1 || undefined);
  try {
    const o = JSON.parse(first) as { format?: unknown; compactedBytes?: unknown };
    const compacted = typeof o.compactedBytes === 'number' ? o.compactedBytes : 0;
    return o.format === JOURNAL_FORMAT
      ? { compacted, old: false }
      : { compacted: 0, old: o.format === 'mm.history/1' };
  } catch {
    return { compacted: 0, old: false };
  }
}

interface HomeState {
  pending: string[];
  scheduled?: Promise<void>;
  cache?: { signature: string; journal: ParsedJournal };
  /** Set until the end of this turn of the event loop once the cache was checked against the file's stat. */
  checked?: boolean;
  /** Once this store has swept the home's leftover temporaries. */
  swept?: boolean;
}

/**
 * Keeps each job's last runs in `HOME/mm.history.jsonl`, an append-only journal of JSON lines. Appends are
 * batched and made under the file lock; a line torn by a crash (kill -9 mid-write) is skipped when read and
 * the next append starts on a fresh line. Once the journal has grown by half its compacted size (plus
 * `slackBytes`), it is rewritten with the last `keep` runs of each job on one line and each job's totals of the
 * runs before, beside it and then renamed over it: a crash leaves the old or the new journal, never a mix.
 * @example
 * const history = historyFileStore({ fileLock });
 * const recorder = runHistoryRecorder(history);
 * await runJobs(plan.steps, { store, onEvent: recorder.event }).summary;
 * await recorder.settled();
 */
export function historyFileStore(options: HistoryFileStoreOptions = {}): HistoryFileStore {
  const fileLock = options.fileLock ?? inProcessLock();
  const keep = options.keep ?? 10;
  const batchMs = options.batchMs ?? 50;
  const slack = options.slackBytes ?? 65_536;
  const homes = new Map<string, HomeState>();
  const homeOf = (job: Job) => job.cwd ?? options.home ?? process.cwd();
  const stateOf = (home: string) => {
    let s = homes.get(home);
    if (!s) {
      s = { pending: [] };
      homes.set(home, s);
    }
    return s;
  };

  const compact = async (home: string, path: string) => {
    const journal = parseJournal(await readText(path), keep);
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, formatCompactedJournal(journal.jobs), { flag: 'wx' });
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    await sweepTemporaries(home);
  };

  const writeBatch = async (home: string, lines: string): Promise<void> => {
    const path = join(home, HISTORY_FILE);
    await fileLock.withLock(path, async () => {
      const handle = await open(path, 'a+');
      let size: number;
      let compacted = 0;
      let old = false;
      try {
        const before = (await handle.stat()).size;
        let text = lines;
        if (before > 0) {
          const head = Buffer.alloc(Math.min(before, 256));
          await handle.read(head, 0, head.length, 0);
          ({ compacted, old } = headerOf(head.toString('utf8')));
          const last = Buffer.alloc(1);
          await handle.read(last, 0, 1, before - 1);
          // A crash mid-append left a torn line: end it, so that only it is lost.
          if (last[0] !== 0x0a) text = `\n${text}`;
        }
        await handle.appendFile(text);
        size = before + Buffer.byteLength(text);
      } finally {
        await handle.close();
      }
      // Compacted once the runs appended since reach half its compacted size: a status page then parses about one
      // line per job (its `runs` line) plus at most half as many bytes of run lines.
      if (old || size > compacted + compacted / 2 + slack) await compact(home, path);
      // The first batch of this store in a home also sweeps what writers killed mid-compaction left, whether or
      // not it compacts (a killed writer's temporary would otherwise wait for the next compaction).
      else if (!stateOf(home).swept) await sweepTemporaries(home);
      stateOf(home).swept = true;
    });
  };

  return {
    append(job, entry: RunEntry) {
      const home = homeOf(job);
      const state = stateOf(home);
      state.pending.push(formatJournalRun(job.id, entry));
      state.scheduled ??= new Promise<void>((resolve) => setTimeout(resolve, batchMs)).then(() => {
        state.scheduled = undefined;
        const lines = state.pending.join('');
        state.pending = [];
        return writeBatch(home, lines);
      });
      return state.scheduled;
    },
    async read(job) {
      return (await this.readHome(homeOf(job))).jobs.get(job.id);
    },
    async readHome(home, readOptions = {}) {
      const path = join(home, HISTORY_FILE);
      const state = stateOf(home);
      const wantTotals = readOptions.totals !== false;
      const cached = state.cache;
      const usable = cached !== undefined && (!wantTotals || cached.journal.partial !== true);
      // A status page reads every job's history in one turn: one stat serves them all.
      if (usable && state.checked) return cached.journal;
      const sig = signature(path);
      if (!usable || cached.signature !== sig) {
        const text = await readText(path);
        const journal = wantTotals ? parseJournal(text, keep) : parseJournalTail(text, keep);
        state.cache = { signature: sig, journal };
      }
      state.checked = true;
      setImmediate(() => {
        state.checked = false;
      });
      return state.cache!.journal;
    },
  };
}
