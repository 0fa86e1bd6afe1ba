import {
  DURATION_BUCKETS_SECONDS,
  emptyTotals,
  type JobHistory,
  RUN_RESULTS,
  type RunEntry,
  type RunResult,
  type RunTotals,
} from './run-history.js';

/**
 * The first line of a history journal: its format, and the size it had after its last compaction.
 * `mm.history/2` (written since the status page was made fast) keeps each job's runs on one line after a
 * compaction; `mm.history/1` journals (one line per run throughout) are read as well, and rewritten as
 * `mm.history/2` by their next compaction.
 */
export interface JournalHeader {
  readonly format: 'mm.history/1' | 'mm.history/2';
  /** Bytes of the journal right after it was last compacted: it is compacted again once it grows by half. */
  readonly compactedBytes: number;
}

/**
 * The format {@link formatCompactedJournal} writes in its header line.
 * @example
 * text.startsWith(`{"format":"${JOURNAL_FORMAT}"`); // a journal compacted by this version
 */
export const JOURNAL_FORMAT = 'mm.history/2';

const HEADER_FORMATS = new Set<string>(['mm.history/1', JOURNAL_FORMAT]);

/** A job's history as a journal holds it: its kept runs, its totals, and the totals of the runs folded away. */
export interface JournalJob extends JobHistory {
  readonly folded: RunTotals;
}

/** A history journal read back: every job's kept runs and totals, and how many lines were unreadable. */
export interface ParsedJournal {
  readonly header?: JournalHeader;
  readonly jobs: ReadonlyMap<string, JournalJob>;
  /** Lines that were not valid journal lines (a torn last write after a crash, or damage): skipped. */
  readonly damaged: number;
  /** Read by {@link parseJournalTail}: totals count only the kept runs, and only the lines read were checked. */
  readonly partial?: boolean;
}

const RESULTS = new Set<string>(RUN_RESULTS);

/**
 * One journal line for a run of job `id` (with its newline): `{"job":"site:pkg","start":…,"end":…,"result":…}`.
 * @example
 * formatJournalRun('a:b', { start: 1000, end: 2000, result: 'ok', exitCode: 0 });
 * // '{"job":"a:b","start":1000,"end":2000,"result":"ok","exit":0}\n'
 */
export function formatJournalRun(id: string, entry: RunEntry): string {
  const line: Record<string, unknown> = { job: id, start: entry.start, end: entry.end, result: entry.result };
  if (entry.exitCode !== undefined && entry.exitCode !== null) line.exit = entry.exitCode;
  if (entry.signal) line.signal = entry.signal;
  if (entry.why !== undefined) line.why = entry.why;
  return `${JSON.stringify(line)}\n`;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

function entryOf(o: Record<string, unknown>): RunEntry | undefined {
  const { start, end, result } = o;
  if (!isCount(start) || !isCount(end) || typeof result !== 'string' || !RESULTS.has(result))
    return undefined;
  // Built field by field (no spreads): journals hold hundreds of thousands of these.
  const entry: { -readonly [K in keyof RunEntry]: RunEntry[K] } = { start, end, result: result as RunResult };
  if (typeof o.exit === 'number') entry.exitCode = o.exit;
  if (typeof o.signal === 'string') entry.signal = o.signal;
  if (typeof o.why === 'string') entry.why = o.why;
  return entry;
}

/**
 * A run as a compacted `runs` line holds it: `[start, end, result, exit, signal, why]`, with trailing empty fields
 * left out and inner ones `null` (`[1000, 2000, "ok", 0]`): a third of the bytes of a run line, and one parse per job.
 */
function tupleOf(entry: RunEntry): unknown[] {
  const t: unknown[] = [entry.start, entry.end, entry.result];
  const exit = entry.exitCode ?? null;
  const signal = entry.signal ?? null;
  if (entry.why !== undefined) t.push(exit, signal, entry.why);
  else if (signal !== null) t.push(exit, signal);
  else if (exit !== null) t.push(exit);
  return t;
}

function entryOfTuple(t: unknown): RunEntry | undefined {
  if (!Array.isArray(t)) return undefined;
  const start: unknown = t[0];
  const end: unknown = t[1];
  const result: unknown = t[2];
  if (!isCount(start) || !isCount(end) || typeof result !== 'string' || !RESULTS.has(result))
    return undefined;
  const entry: { -readonly [K in keyof RunEntry]: RunEntry[K] } = { start, end, result: result as RunResult };
  if (typeof t[3] === 'number') entry.exitCode = t[3];
  if (typeof t[4] === 'string') entry.signal = t[4];
  if (typeof t[5] === 'string') entry.why = t[5];
  return entry;
}

/** The runs of a `runs` line, oldest first; undefined if any of them is not a run. */
function entriesOf(runs: unknown): RunEntry[] | undefined {
  if (!Array.isArray(runs)) return undefined;
  const entries: RunEntry[] = [];
  for (const t of runs) {
    const entry = entryOfTuple(t);
    if (!entry) return undefined;
    entries.push(entry);
  }
  return entries;
}

function totalsOf(o: unknown): RunTotals | undefined {
  if (typeof o !== 'object' || o === null) return undefined;
  const t = o as Record<string, unknown>;
  const byResult = t.byResult as Record<string, unknown> | undefined;
  const empty = emptyTotals();
  if (typeof byResult !== 'object' || byResult === null || !Array.isArray(t.buckets)) return undefined;
  if (t.buckets.length !== empty.buckets.length || !t.buckets.every(isCount)) return undefined;
  if (!isCount(t.durationSumSeconds) || !isCount(t.durationCount)) return undefined;
  const counts = { ...empty.byResult };
  for (const r of RUN_RESULTS) {
    const n = byResult[r] ?? 0;
    if (!isCount(n)) return undefined;
    counts[r] = n;
  }
  return {
    byResult: counts,
    buckets: t.buckets as number[],
    durationSumSeconds: t.durationSumSeconds,
    durationCount: t.durationCount,
  };
}

/** Totals under construction: counted in place, since a journal holds hundreds of thousands of runs. */
interface Tally {
  byResult: Record<RunResult, number>;
  buckets: number[];
  durationSumSeconds: number;
  durationCount: number;
}

const tallyOf = (t: RunTotals): Tally => ({ ...t, byResult: { ...t.byResult }, buckets: [...t.buckets] });

function count(t: Tally, entry: RunEntry): void {
  t.byResult[entry.result] += 1;
  if (entry.result === 'skipped') return;
  const seconds = Math.max(0, entry.end - entry.start) / 1000;
  let i = 0;
  while (i < DURATION_BUCKETS_SECONDS.length && seconds > DURATION_BUCKETS_SECONDS[i]!) i++;
  t.buckets[i]! += 1;
  t.durationSumSeconds += seconds;
  t.durationCount += 1;
}

function add(t: Tally, other: RunTotals): void {
  for (const r of RUN_RESULTS) t.byResult[r] += other.byResult[r];
  other.buckets.forEach((n, i) => {
    t.buckets[i]! += n;
  });
  t.durationSumSeconds += other.durationSumSeconds;
  t.durationCount += other.durationCount;
}

interface Building {
  runs: RunEntry[];
  folded: Tally;
}

// The lines this module writes, read without JSON.parse: a compacted journal of 10,000 jobs holds 100,000 runs, and
// JSON.parse would build an array per run and box every number before the runs are built. Anything unusual (an
// escape in the id, a signal or a reason, a number that is not a plain integer) is left to JSON.parse.
let at = 0; // the scanners' cursor in the line being read

/** A non-negative integer at `at` (15 digits at most, exact as a double), or NaN. */
function intAt(text: string, stop: number): number {
  const begin = at;
  let n = 0;
  for (; at < stop; at++) {
    const d = text.charCodeAt(at) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return at === begin || at - begin > 15 ? Number.NaN : n;
}

/** The result name at `at` (just past its opening quote) and its closing quote, or undefined. */
function resultAt(text: string): RunResult | undefined {
  for (const r of RUN_RESULTS) {
    if (text.startsWith(r, at) && text.charCodeAt(at + r.length) === 0x22) {
      at += r.length + 1;
      return r;
    }
  }
  return undefined;
}

/** `[start,end,"result"]` or `[start,end,"result",exit]` at `at`, or undefined. */
function tupleAt(text: string, stop: number): RunEntry | undefined {
  if (text.charCodeAt(at++) !== 0x5b) return undefined;
  const start = intAt(text, stop);
  if (Number.isNaN(start) || text.charCodeAt(at++) !== 0x2c) return undefined;
  const end = intAt(text, stop);
  if (Number.isNaN(end) || !text.startsWith(',"', at)) return undefined;
  at += 2;
  const result = resultAt(text);
  if (result === undefined) return undefined;
  const entry: { -readonly [K in keyof RunEntry]: RunEntry[K] } = { start, end, result };
  if (text.charCodeAt(at) === 0x2c) {
    at++;
    const exit = intAt(text, stop);
    if (Number.isNaN(exit)) return undefined;
    entry.exitCode = exit;
  }
  return text.charCodeAt(at++) === 0x5d ? entry : undefined;
}

/**
 * The runs of the line `text[from, stop)` whose job id (without escapes) ends with the quote at `idEnd`: a `runs`
 * line's, or a run line's one run; undefined if the line is not in the plain form this module writes.
 */
function plainRuns(text: string, idEnd: number, stop: number): RunEntry[] | undefined {
  if (text.startsWith('","runs":[', idEnd)) {
    at = idEnd + 10;
    const runs: RunEntry[] = [];
    for (;;) {
      const entry = tupleAt(text, stop);
      if (entry === undefined) return undefined;
      runs.push(entry);
      const c = text.charCodeAt(at++);
      if (c === 0x5d) break;
      if (c !== 0x2c) return undefined;
    }
    return text.charCodeAt(at) === 0x7d && at + 1 === stop ? runs : undefined;
  }
  if (!text.startsWith('","start":', idEnd)) return undefined;
  at = idEnd + 10;
  const start = intAt(text, stop);
  if (Number.isNaN(start) || !text.startsWith(',"end":', at)) return undefined;
  at += 7;
  const end = intAt(text, stop);
  if (Number.isNaN(end) || !text.startsWith(',"result":"', at)) return undefined;
  at += 11;
  const result = resultAt(text);
  if (result === undefined) return undefined;
  const entry: { -readonly [K in keyof RunEntry]: RunEntry[K] } = { start, end, result };
  if (text.startsWith(',"exit":', at)) {
    at += 8;
    const exit = intAt(text, stop);
    if (Number.isNaN(exit)) return undefined;
    entry.exitCode = exit;
  }
  return text.charCodeAt(at) === 0x7d && at + 1 === stop ? [entry] : undefined;
}

const PREFIX = '{"job":"';

/** The end (its closing quote) of the job id of a line starting with {@link PREFIX}, and whether it has escapes. */
function idEndOf(text: string, from: number, stop: number): { end: number; plain: boolean } {
  let i = from + PREFIX.length;
  let plain = true;
  while (i < stop) {
    const c = text.charCodeAt(i);
    if (c === 0x22) break;
    if (c === 0x5c) {
      plain = false;
      i += 2;
    } else i += 1;
  }
  return { end: i, plain };
}

/**
 * Reads a history journal: a header line, then `totals` lines (runs folded away by compaction) and run lines,
 * oldest first. Keeps the last `keep` runs of each job; older ones are folded into its totals. Lines that do
 * not parse are counted in `damaged` and skipped, so a torn last line (a crash mid-append) loses only itself.
 * @example
 * const { jobs, damaged } = parseJournal(text, 20);
 * jobs.get('a:b')?.runs.at(-1)?.result; // 'ok'
 */
export function parseJournal(text: string, keep: number): ParsedJournal {
  const building = new Map<string, Building>();
  let header: JournalHeader | undefined;
  let bad = 0;
  const buildingOf = (id: string) => {
    let b = building.get(id);
    if (!b) {
      b = { runs: [], folded: tallyOf(emptyTotals()) };
      building.set(id, b);
    }
    return b;
  };
  const visit = (value: unknown) => {
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    const o = value as Record<string, unknown>;
    if (typeof o.format === 'string' && HEADER_FORMATS.has(o.format)) {
      if (!isCount(o.compactedBytes)) throw new Error('bad header');
      header = { format: o.format as JournalHeader['format'], compactedBytes: o.compactedBytes };
      return;
    }
    if (typeof o.job !== 'string') throw new Error('no job');
    if ('totals' in o) {
      const totals = totalsOf(o.totals);
      if (!totals) throw new Error('bad totals');
      add(buildingOf(o.job).folded, totals);
      return;
    }
    if ('runs' in o) {
      const entries = entriesOf(o.runs);
      if (!entries) throw new Error('bad runs');
      const b = buildingOf(o.job);
      for (const entry of entries) b.runs.push(entry);
      if (b.runs.length > keep * 2) fold(b, keep);
      return;
    }
    const entry = entryOf(o);
    if (!entry) throw new Error('bad run');
    const b = buildingOf(o.job);
    b.runs.push(entry);
    if (b.runs.length > keep * 2) fold(b, keep);
  };
  // Lines found with indexOf (no split array or joined copy of a journal of many MB); the plain ones read by
  // plainRuns, the others by JSON.parse.
  for (let from = 0; from < text.length; ) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = text.length;
    if (nl > from) {
      let plain: RunEntry[] | undefined;
      let id = '';
      if (text.startsWith(PREFIX, from)) {
        const idEnd = idEndOf(text, from, nl);
        if (idEnd.plain) {
          plain = plainRuns(text, idEnd.end, nl);
          id = text.slice(from + PREFIX.length, idEnd.end);
        }
      }
      if (plain !== undefined) {
        const b = buildingOf(id);
        for (const entry of plain) b.runs.push(entry);
        if (b.runs.length > keep * 2) fold(b, keep);
      } else {
        try {
          visit(JSON.parse(text.slice(from, nl)));
        } catch {
          bad += 1;
        }
      }
    }
    from = nl + 1;
  }
  const jobs = new Map<string, JournalJob>();
  for (const [id, b] of building) {
    fold(b, keep);
    const totals = tallyOf(b.folded);
    for (const run of b.runs) count(totals, run);
    jobs.set(id, { runs: b.runs, totals, folded: b.folded });
  }
  return { ...(header ? { header } : {}), jobs, damaged: bad };
}

function fold(b: Building, keep: number): void {
  if (b.runs.length <= keep) return;
  for (const dropped of b.runs.splice(0, b.runs.length - keep)) count(b.folded, dropped);
}

/**
 * A journal's compacted text (format `mm.history/2`): the header, then per job one `totals` line (if runs were
 * folded away) and one `runs` line holding its kept runs, oldest first (`{"job":"a:b","runs":[[start,end,"ok",0],…]}`).
 * `compactedBytes` in the header is the length of the result (in UTF-8 bytes). Runs appended later are run lines.
 * @example
 * const text = formatCompactedJournal(parseJournal(old, 20).jobs);
 */
export function formatCompactedJournal(jobs: ReadonlyMap<string, JournalJob>): string {
  let text = '';
  for (const [id, history] of jobs) {
    const { folded } = history;
    const job = JSON.stringify(id);
    if (folded.durationCount > 0 || RUN_RESULTS.some((r) => folded.byResult[r] > 0))
      text += `{"job":${job},"totals":${JSON.stringify(folded)}}\n`;
    if (history.runs.length > 0)
      text += `{"job":${job},"runs":${JSON.stringify(history.runs.map(tupleOf))}}\n`;
  }
  const size = utf8Length(text);
  // The header's own length is part of the size it names; its digits can only grow it slightly.
  let header = '';
  for (let total = size; ; ) {
    header = `${JSON.stringify({ format: JOURNAL_FORMAT, compactedBytes: total })}\n`;
    const next = size + header.length;
    if (next === total) break;
    total = next;
  }
  return header + text;
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i += 1;
    } else n += 3;
  }
  return n;
}

/** The totals of jobs whose runs were read without them: shared, never changed. */
const NO_TOTALS: RunTotals = emptyTotals();

/**
 * Reads only what a status page shows: the last `keep` runs of each job, scanning the journal from its end and
 * skipping, unparsed, the older lines of jobs that already have theirs and every `totals` line. A compacted
 * journal holds a job's kept runs on one line, so this is about one `JSON.parse` per job plus one per run
 * appended since the last compaction. Totals count only the kept runs (`partial: true`); use
 * {@link parseJournal} for metrics and compaction.
 * @example
 * parseJournalTail(text, 10).jobs.get('a:b')?.runs; // its last 10 runs, oldest first
 */
export function parseJournalTail(text: string, keep: number): ParsedJournal {
  // Each job by its id as written (escaped): its id and its runs read so far, newest first.
  const newest = new Map<string, { id: string; runs: RunEntry[] }>();
  let bad = 0;
  const add = (raw: string, id: string, found: readonly RunEntry[]) => {
    let job = newest.get(raw);
    if (!job) {
      job = { id, runs: [] };
      newest.set(raw, job);
    }
    for (let r = found.length - 1; r >= 0 && job.runs.length < keep; r--) job.runs.push(found[r]!);
  };
  // Line ends found forwards (indexOf is fast; lastIndexOf walks a long string slowly), then read backwards.
  const ends: number[] = [];
  for (let at = 0; at < text.length; ) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    ends.push(nl);
    at = nl + 1;
  }
  for (let k = ends.length - 1; k >= 0; k--) {
    const from = k === 0 ? 0 : ends[k - 1]! + 1;
    const stop = ends[k]!;
    if (from >= stop) continue;
    if (!text.startsWith(PREFIX, from)) {
      try {
        const o = JSON.parse(text.slice(from, stop)) as Record<string, unknown>;
        if (typeof o.format !== 'string' || !HEADER_FORMATS.has(o.format)) bad += 1;
      } catch {
        bad += 1;
      }
      continue;
    }
    const idEnd = idEndOf(text, from, stop);
    const raw = text.slice(from + PREFIX.length, idEnd.end);
    if ((newest.get(raw)?.runs.length ?? 0) >= keep || text.startsWith('","totals":', idEnd.end)) continue;
    const plain = idEnd.plain ? plainRuns(text, idEnd.end, stop) : undefined;
    if (plain !== undefined) {
      add(raw, raw, plain);
      continue;
    }
    try {
      const o = JSON.parse(text.slice(from, stop)) as Record<string, unknown>;
      if (typeof o.job !== 'string') throw new Error('no job');
      let entries: RunEntry[] | undefined;
      if ('runs' in o) entries = entriesOf(o.runs);
      else {
        const entry = entryOf(o);
        entries = entry && [entry];
      }
      if (!entries) throw new Error('bad run');
      add(raw, o.job, entries);
    } catch {
      bad += 1;
    }
  }
  const jobs = new Map<string, JournalJob>();
  for (const { id, runs } of newest.values()) {
    runs.reverse();
    const totals = tallyOf(NO_TOTALS);
    for (const run of runs) count(totals, run);
    jobs.set(id, { runs, totals, folded: NO_TOTALS });
  }
  return { jobs, damaged: bad, partial: true };
}
