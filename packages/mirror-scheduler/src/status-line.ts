import type { StatusRecord } from './status-record.js';

/** One line of mm.status: `site:package LAST_TRIED STATUS l|u PID`. */
export interface StatusLine {
  readonly id: string;
  /** Epoch seconds of the last start while it runs, of its end once it ended (as mm.pl writes it). */
  readonly lastTried: number;
  /** The wait status: exit code × 256 + signal number. */
  readonly status: number;
  readonly locked: boolean;
  readonly pid: number;
}

/** A line of mm.status as read: a job's line, or anything else, kept verbatim so a rewrite never loses it. */
export type StatusFileEntry =
  | { readonly kind: 'job'; readonly line: StatusLine }
  | { readonly kind: 'other'; readonly text: string };

// Parsed from the right, so that package names with spaces survive.
const LINE = /^(.+?) +(\d+) +(\d+) +([lu]) +(\d+) *$/;

/**
 * Parses mm.status. Lines that are not job lines (garbage, comments) are kept as `other` entries in place.
 * @example
 * parseStatusFile('a:b 1700000000 0 u 0\n%%garbage\n'); // [{ kind: 'job', line: {...} }, { kind: 'other', text: '%%garbage' }]
 */
export function parseStatusFile(text: string): StatusFileEntry[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((text): StatusFileEntry => {
    const m = LINE.exec(text);
    if (!m) return { kind: 'other', text };
    const [, id = '', tried = '', status = '', lock = '', pid = ''] = m;
    return {
      kind: 'job',
      line: { id, lastTried: Number(tried), status: Number(status), locked: lock === 'l', pid: Number(pid) },
    };
  });
}

// Each line's text, by line object (lines are immutable): rewriting a file after a few jobs changed formats only
// their lines.
const formatted = new WeakMap<StatusLine, string>();

function formatLine(line: StatusLine): string {
  let text = formatted.get(line);
  if (text === undefined) {
    text = `${line.id} ${line.lastTried} ${line.status} ${line.locked ? 'l' : 'u'} ${line.pid}\n`;
    formatted.set(line, text);
  }
  return text;
}

/** Formats entries back into mm.status text, one line each, in order. */
export function formatStatusFile(entries: readonly StatusFileEntry[]): string {
  let out = '';
  for (const e of entries) out += e.kind === 'other' ? `${e.text}\n` : formatLine(e.line);
  return out;
}

/** Replaces the line of each job in `updates` where it stands, appending new jobs; other lines stay. */
export function mergeStatusFile(
  entries: readonly StatusFileEntry[],
  updates: readonly StatusLine[],
): StatusFileEntry[] {
  const byId = new Map(updates.map((u) => [u.id, u]));
  const out = entries.map((e): StatusFileEntry => {
    if (e.kind !== 'job') return e;
    const update = byId.get(e.line.id);
    if (update === undefined) return e;
    byId.delete(e.line.id);
    return { kind: 'job', line: update };
  });
  for (const line of byId.values()) out.push({ kind: 'job', line });
  return out;
}

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/** The wait status the original wrote: exit code × 256, or the signal number (Linux numbering). */
export function waitStatus(exitCode: number | null | undefined, signal: string | null | undefined): number {
  if (signal) return SIGNALS[signal] ?? 15;
  return ((exitCode ?? 0) & 0xff) * 256;
}

/** The mm.status line for a record: LAST_TRIED is the start while running, the end once ended; PID stays. */
export function statusLineOf(record: StatusRecord): StatusLine {
  const ended = record.running === undefined && record.lastEnded !== undefined;
  return {
    id: record.id,
    lastTried: Math.floor(((ended ? record.lastEnded : record.lastStarted) ?? 0) / 1000),
    status:
      record.lastOk === false && !record.lastSignal && !record.lastExitCode
        ? 256
        : waitStatus(record.lastExitCode, record.lastSignal),
    locked: record.running !== undefined,
    pid: record.running?.pid ?? record.lastPid ?? 0,
  };
}

/** A record recovered from an mm.status line alone (written by the original mm, or without the JSON file). */
export function recordOfStatusLine(line: StatusLine): StatusRecord {
  const tried = line.lastTried * 1000;
  const ok = line.status === 0;
  return {
    id: line.id,
    // A locked line has the start; an unlocked one the end (the start is unknown: taken as the same time).
    lastStarted: tried,
    ...(line.pid > 0 ? { lastPid: line.pid } : {}),
    ...(line.locked ? { running: { pid: line.pid, since: tried } } : { lastEnded: tried, lastOk: ok }),
    consecutiveFailures: ok ? 0 : 1,
  };
}
