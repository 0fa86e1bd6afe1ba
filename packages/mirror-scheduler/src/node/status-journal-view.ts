import {
  formatStatusFile,
  mergeStatusFile,
  parseStatusFile,
  recordOfStatusLine,
  type StatusFileEntry,
  type StatusLine,
  statusLineOf,
} from '../status-line.js';
import type { StatusRecord } from '../status-record.js';

// The in-memory view of one home's three status files: mm.status (the original's lines), mm.status.json (every
// record, one per line, as of the last compaction) and mm.status.journal (records appended since, one JSON line
// each, the last one of a job wins). Big files are not parsed for a few look-ups: a run that starts three jobs in
// a home of 100,000 finds their lines with a string search; after LAZY_LOOKUPS look-ups the file is parsed once.

const LAZY_LOOKUPS = 64;
const MEMO_LIMIT = 4096;
const JSON_HEAD = '{"format":"mm.status.json/1","jobs":{\n';

/** The line of mm.status.json for a record (also its form in the journal's compactions). */
export const jsonLine = (id: string, record: StatusRecord) =>
  `${JSON.stringify(id)}:${JSON.stringify(record)}`;

/** mm.status.json's text for these record lines. */
export const recordsFileText = (lines: Iterable<string>) => `${JSON_HEAD}${[...lines].join(',\n')}\n}}\n`;

/** The journal line that says mm.status was written with every record above it. */
export const PUBLISHED_MARK = '{"published":true}\n';

/**
 * Parses the journal: one record per line, the last of a job wins; torn or foreign lines (a crash mid-append) are
 * skipped. `unpublished` holds the ids written after the last {@link PUBLISHED_MARK}.
 */
export function parseJournal(text: string): { records: Map<string, StatusRecord>; unpublished: Set<string> } {
  const records = new Map<string, StatusRecord>();
  const unpublished = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const record = JSON.parse(line) as StatusRecord & { published?: boolean };
      if (record?.published === true) unpublished.clear();
      else if (record && typeof record.id === 'string') {
        records.set(record.id, record);
        unpublished.add(record.id);
      }
    } catch {
      // a torn line: the rest of the journal is still good
    }
  }
  return { records, unpublished };
}

/** The journal lines for a batch; a leading newline isolates whatever torn line a crash may have left. */
export const journalText = (records: Iterable<StatusRecord>) =>
  `\n${[...records].map((r) => JSON.stringify(r)).join('\n')}\n`;

const LINE = /^(.+?) +(\d+) +(\d+) +([lu]) +(\d+) *$/;

/** Finds a job's first line in mm.status text without parsing the rest. */
function findLine(text: string, id: string): { line: StatusLine; start: number; end: number } | undefined {
  const needle = `${id} `;
  let at = text.startsWith(needle) ? 0 : -1;
  if (at < 0) {
    const found = text.indexOf(`\n${needle}`);
    at = found < 0 ? -1 : found + 1;
  }
  while (at >= 0) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl;
    const m = LINE.exec(text.slice(at, end));
    if (m && m[1] === id) {
      const [, , tried = '', status = '', lock = '', pid = ''] = m;
      return {
        line: {
          id,
          lastTried: Number(tried),
          status: Number(status),
          locked: lock === 'l',
          pid: Number(pid),
        },
        start: at,
        end: nl < 0 ? end : end + 1,
      };
    }
    const found = text.indexOf(`\n${needle}`, end);
    at = found < 0 ? -1 : found + 1;
  }
  return undefined;
}

/** The detail record of a job, found in mm.status.json's text by its line (the format this store writes). */
function findRecord(text: string, id: string): StatusRecord | undefined {
  const key = `\n${JSON.stringify(id)}:`;
  const at = text.indexOf(key);
  if (at < 0) return undefined;
  const nl = text.indexOf('\n', at + 1);
  let body = text.slice(at + key.length, nl < 0 ? text.length : nl);
  if (body.endsWith(',')) body = body.slice(0, -1);
  try {
    return JSON.parse(body) as StatusRecord;
  } catch {
    return undefined;
  }
}

/** mm.status.json's lines by job id: this store's one-record-per-line layout fast, any other JSON slowly. */
function parseRecordLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text.trim() === '') return out;
  if (text.startsWith(JSON_HEAD)) {
    const lines = text.slice(JSON_HEAD.length).split('\n');
    let fast = true;
    for (let line of lines) {
      if (line === '}}' || line === '') continue;
      if (line.endsWith(',')) line = line.slice(0, -1);
      const colon = line.indexOf('":');
      if (!line.startsWith('"') || colon < 0) {
        fast = false;
        break;
      }
      try {
        out.set(JSON.parse(line.slice(0, colon + 1)) as string, line);
      } catch {
        fast = false;
        break;
      }
    }
    if (fast) return out;
    out.clear();
  }
  try {
    const data = JSON.parse(text) as { jobs?: Record<string, StatusRecord> };
    if (data.jobs && typeof data.jobs === 'object') {
      for (const [id, record] of Object.entries(data.jobs)) out.set(id, jsonLine(id, record));
    }
  } catch {
    // A damaged records file only loses the extra detail; mm.status still has every job.
  }
  return out;
}

/**
 * mm.status is the authority on the last start (the original mm, or a hand edit, may have changed it): the detail
 * record is used when it describes the same run, or when it was written after mm.status last was (`fresh`: in the
 * journal after its last publication mark) and is at least as recent as mm.status's line.
 */
function combine(
  line: StatusLine | undefined,
  rich: StatusRecord | undefined,
  fresh: boolean,
): StatusRecord | undefined {
  if (rich !== undefined) {
    const tried = statusLineOf(rich).lastTried;
    if (line === undefined ? fresh : tried === line.lastTried || (fresh && tried >= line.lastTried))
      return rich;
  }
  return line === undefined ? undefined : recordOfStatusLine(line);
}

/** The files of one home as read, with what this process appended since. */
export class HomeView {
  #statusText: string;
  #entries: StatusFileEntry[] | undefined;
  #lines: Map<string, StatusLine> | undefined;
  #recordsText: string;
  #recordsSize: number;
  #recordLines: Map<string, string> | undefined;
  #lookups = 0;
  /** Records in the journal (on disk), by id. */
  readonly journal: Map<string, StatusRecord>;
  /** Ids of the journal's records written after mm.status last was. */
  readonly #fresh: Set<string>;
  journalBytes: number;
  /** mm.status lines changed since mm.status was last written. */
  readonly unpublished = new Map<string, StatusLine>();
  readonly #memo = new Map<string, StatusRecord | undefined>();

  constructor(statusText: string, recordsText: string, journalText: string) {
    this.#statusText = statusText;
    this.#recordsText = recordsText;
    this.#recordsSize = recordsText.length;
    const parsed = parseJournal(journalText);
    this.journal = parsed.records;
    this.#fresh = parsed.unpublished;
    this.journalBytes = journalText.length;
  }

  get recordsBytes(): number {
    return this.#recordsSize;
  }

  get statusBytes(): number {
    return this.#statusText.length;
  }

  #parsed(): boolean {
    return this.#lines !== undefined;
  }

  #parseAll(): void {
    if (this.#entries === undefined) {
      this.#entries = parseStatusFile(this.#statusText);
      this.#lines = new Map();
      for (const e of this.#entries)
        if (e.kind === 'job' && !this.#lines.has(e.line.id)) this.#lines.set(e.line.id, e.line);
    }
    this.#recordLines ??= parseRecordLines(this.#recordsText);
  }

  #lineOf(id: string): StatusLine | undefined {
    const published = this.#parsed() ? this.#lines!.get(id) : findLine(this.#statusText, id)?.line;
    return this.unpublished.get(id) ?? published;
  }

  #detailOf(id: string): StatusRecord | undefined {
    const journaled = this.journal.get(id);
    if (journaled !== undefined) return journaled;
    if (this.#recordLines !== undefined) {
      const line = this.#recordLines.get(id);
      if (line === undefined) return undefined;
      try {
        return JSON.parse(line.slice(line.indexOf('":') + 2)) as StatusRecord;
      } catch {
        return undefined;
      }
    }
    const found = findRecord(this.#recordsText, id);
    if (found !== undefined || this.#recordsText.startsWith(JSON_HEAD) || this.#recordsText.trim() === '')
      return found;
    this.#recordLines = parseRecordLines(this.#recordsText);
    return this.#detailOf(id);
  }

  /** A job's record: its newest state in the three files (and this process's writes). */
  read(id: string): StatusRecord | undefined {
    if (this.#memo.has(id)) return this.#memo.get(id);
    if (!this.#parsed() && ++this.#lookups > LAZY_LOOKUPS) this.#parseAll();
    const record = combine(
      this.#lineOf(id),
      this.#detailOf(id),
      this.#fresh.has(id) || this.unpublished.has(id),
    );
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear(); // a cache, not a second copy of a big home
    this.#memo.set(id, record);
    return record;
  }

  /** Every job's record, in mm.status order, then the jobs only the detail knows. */
  readAll(): Map<string, StatusRecord> {
    this.#parseAll();
    const out = new Map<string, StatusRecord>();
    const ids = [
      ...this.#lines!.keys(),
      ...this.unpublished.keys(),
      ...this.#recordLines!.keys(),
      ...this.journal.keys(),
    ];
    for (const id of ids) {
      if (out.has(id)) continue;
      const record = this.read(id);
      if (record !== undefined) out.set(id, record);
    }
    return out;
  }

  /** Takes records this process has appended to the journal. */
  appended(records: Iterable<StatusRecord>, bytes: number): void {
    for (const record of records) {
      this.journal.set(record.id, record);
      this.#fresh.add(record.id);
      this.unpublished.set(record.id, statusLineOf(record));
      this.#memo.set(record.id, record);
    }
    this.journalBytes += bytes;
  }

  /** mm.status's text with every unpublished line in place (new jobs appended), other lines untouched. */
  statusFileText(): string {
    // Records a run appended but never published (it was killed) go into mm.status where they are the newest.
    for (const id of this.#fresh) {
      if (this.unpublished.has(id)) continue;
      const record = this.read(id);
      if (record !== undefined && record === this.journal.get(id))
        this.unpublished.set(id, statusLineOf(record));
    }
    if (this.unpublished.size === 0) return this.#statusText;
    if (!this.#parsed() && this.unpublished.size <= LAZY_LOOKUPS) {
      // Each changed line is found in the text as read and the new text is built in one go (a string edited
      // line by line would be copied whole at every edit).
      const text = this.#statusText;
      const edits: { start: number; end: number; line: string }[] = [];
      let tail = '';
      for (const line of this.unpublished.values()) {
        const formatted = formatStatusFile([{ kind: 'job', line }]);
        const found = findLine(text, line.id);
        if (found) edits.push({ start: found.start, end: found.end, line: formatted });
        else tail += formatted;
      }
      edits.sort((a, b) => a.start - b.start);
      const parts: string[] = [];
      let at = 0;
      for (const edit of edits) {
        parts.push(text.slice(at, edit.start), edit.line);
        at = edit.end;
      }
      parts.push(text.slice(at));
      if (tail !== '' && text !== '' && !text.endsWith('\n')) parts.push('\n');
      parts.push(tail);
      return parts.join('');
    }
    this.#parseAll();
    this.#entries = mergeStatusFile(this.#entries!, [...this.unpublished.values()]);
    return formatStatusFile(this.#entries);
  }

  /** mm.status now holds `text` (from statusFileText()). */
  published(text: string): void {
    this.#statusText = text;
    if (this.#lines) for (const line of this.unpublished.values()) this.#lines.set(line.id, line);
    this.unpublished.clear();
    this.#fresh.clear();
    this.#memo.clear();
  }

  /** mm.status.json's text with the journal folded in. */
  recordsFileText(): string {
    this.#parseAll();
    const lines = this.#recordLines!;
    for (const [id, record] of this.journal) lines.set(id, jsonLine(id, record));
    return recordsFileText(lines.values());
  }

  /** mm.status.json now holds `text` (from recordsFileText()) and the journal is empty. */
  compacted(text: string): void {
    // The lines (already parsed, with the journal folded in) are the one copy kept in memory.
    this.#recordsSize = text.length;
    this.#recordsText = '';
    this.journal.clear();
    this.#fresh.clear();
    this.journalBytes = 0;
  }
}
