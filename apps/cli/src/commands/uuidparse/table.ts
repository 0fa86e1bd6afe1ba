// libsmartcols' output of a table, as util-linux 2.42 prints it: the human table (for a pipe), --raw, and the
// three JSON formats (--json, with LIBSMARTCOLS_JSON=compact|lines). Cells are byte strings (one char per byte,
// latin1), so that input bytes that are not UTF-8 come out as libsmartcols writes them.

/** A column of a libsmartcols-style table: its header and its width hint. */
export interface Column {
  readonly name: string;
  readonly widthHint: number;
}

/** How the table is printed: util-linux's default table, `--raw` or `--json` (and which JSON). */
export interface TableFormat {
  readonly mode: 'table' | 'raw' | 'json';
  readonly noHeadings: boolean;
  /** The JSON array's name (`uuids`). */
  readonly jsonName: string;
  /** libsmartcols' LIBSMARTCOLS_JSON: `compact`, `lines`, anything else pretty. */
  readonly json: JsonFormat;
  /** Whether the locale's charset is UTF-8: then a human table shows printable UTF-8 as it is, else as \xNN. */
  readonly utf8: boolean;
}

/** Whether the C library would run in a UTF-8 locale (LC_ALL, else LC_CTYPE, else LANG). */
export function isUtf8Locale(env: NodeJS.ProcessEnv): boolean {
  const name = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /\.utf-?8(@|$)/i.test(name);
}

/** The JSON layouts of libsmartcols (2.42). */
export type JsonFormat = 'pretty' | 'compact' | 'lines';

/** LIBSMARTCOLS_JSON as libsmartcols reads it: exactly `compact` or `lines`; unset or anything else is pretty. */
export function jsonFormatOf(value: string | undefined): JsonFormat {
  return value === 'compact' || value === 'lines' ? value : 'pretty';
}

/** A cell: a byte string, or undefined for "no data" (blank in a table, null in JSON). */
export type Cell = string | undefined;

/**
 * A cell too long to hold: its first bytes, then the rest read piece by piece (a word of any length in the input).
 * A renderer that shows it once streams it; the pieces are kept only if the column is shown twice.
 */
export interface LongCell {
  /** The first bytes, as a byte string. */
  readonly head: string;
  /** The next bytes, as a byte string, or undefined at the end. */
  more(): Promise<string | undefined>;
}

/** Cells that --raw and JSON print as they are (the fast path: every UUID). */
const RAW_PLAIN = /^[\x21-\x5b\x5d-\x7e]*$/;
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\xff]*$/;

const hex2 = (byte: number) => `\\x${byte.toString(16).padStart(2, '0')}`;

/** --raw: libsmartcols' fputs_nonblank: blanks, backslashes and every byte that is not printable ASCII as \xNN. */
function rawEscape(bytes: string): string {
  if (RAW_PLAIN.test(bytes)) return bytes;
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    out += c <= 0x20 || c >= 0x7f || c === 0x5c ? hex2(c) : bytes[i];
  }
  return out;
}

const JSON_NAMED: Readonly<Record<number, string>> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/** JSON string content as libsmartcols writes it: quote and backslash escaped, control bytes too, others raw. */
function jsonEscape(bytes: string): string {
  if (JSON_PLAIN.test(bytes)) return bytes;
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${bytes[i]}`;
    else if (c < 0x20) out += JSON_NAMED[c] ?? `\\u00${c.toString(16).padStart(2, '0')}`;
    else out += bytes[i];
  }
  return out;
}

/** The UTF-8 sequence starting at byte `i` (not ASCII): its length and code point, or undefined if invalid. */
function utf8Sequence(bytes: string, i: number): { length: number; codePoint: number } | undefined {
  const b0 = bytes.charCodeAt(i);
  const need =
    b0 >= 0xc2 && b0 <= 0xdf ? 1 : b0 >= 0xe0 && b0 <= 0xef ? 2 : b0 >= 0xf0 && b0 <= 0xf4 ? 3 : -1;
  if (need < 0 || i + need >= bytes.length) return undefined;
  let cp = b0 & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
  for (let k = 1; k <= need; k++) {
    const b = bytes.charCodeAt(i + k);
    if ((b & 0xc0) !== 0x80) return undefined;
    cp = (cp << 6) | (b & 0x3f);
  }
  const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return { length: need + 1, codePoint: cp };
}

/**
 * A table cell as libsmartcols' mbs_safe_encode shows it in a UTF-8 locale: control bytes, `\x` and bytes that are
 * not valid UTF-8 as \xNN; printable characters as they are. Returns the bytes and the display width.
 */
function tableEscape(bytes: string, utf8: boolean): { text: string; width: number } {
  let text = '';
  let width = 0;
  for (let i = 0; i < bytes.length; ) {
    const c = bytes.charCodeAt(i);
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f || (c === 0x5c && bytes[i + 1] === 'x')) {
        text += hex2(c);
        width += 4;
      } else {
        text += bytes[i];
        width += 1;
      }
      i++;
      continue;
    }
    const seq = utf8 ? utf8Sequence(bytes, i) : undefined;
    if (seq === undefined || (seq.codePoint >= 0x80 && seq.codePoint < 0xa0)) {
      const n = seq?.length ?? 1;
      for (let k = 0; k < n; k++) text += hex2(bytes.charCodeAt(i + k));
      width += 4 * n;
      i += n;
    } else {
      text += bytes.slice(i, i + seq.length);
      width += 1;
      i += seq.length;
    }
  }
  return { text, width };
}

/** Where rendered output goes, as byte strings; it flushes as it fills, waiting for the reader. */
export interface TableOutput {
  write(bytes: string): Promise<void>;
}

type Escape = (bytes: string) => string;

/**
 * Prints rows as they come, for --raw and --json, which need no column widths: memory stays bounded whatever the
 * number of rows or the length of a cell.
 */
export class StreamingTable {
  readonly #columns: readonly Column[];
  readonly #format: TableFormat;
  readonly #out: TableOutput;
  #rows = 0;
  /** Output not yet written: rows are written in blocks of about 64 KiB. */
  #pending = '';

  constructor(columns: readonly Column[], format: TableFormat, out: TableOutput) {
    if (format.mode === 'table') throw new RangeError('a human table needs every row first');
    this.#columns = columns;
    this.#format = format;
    this.#out = out;
  }

  #begin(): string {
    if (this.#format.mode === 'raw') {
      return this.#format.noHeadings ? '' : `${this.#columns.map((c) => rawEscape(c.name)).join(' ')}\n`;
    }
    const name = jsonEscape(this.#format.jsonName);
    if (this.#format.json === 'pretty') return `{\n   "${name}": [\n`;
    if (this.#format.json === 'compact') return `{"${name}":[`;
    return '';
  }

  /** Prints one row; a LongCell is streamed into its place. */
  async row(cells: readonly (Cell | LongCell)[]): Promise<void> {
    const f = this.#format;
    let text = this.#rows === 0 ? this.#begin() : '';
    const json = f.mode === 'json';
    if (json) {
      if (f.json === 'pretty') text += this.#rows === 0 ? '      {\n' : ',{\n';
      else if (f.json === 'compact') text += this.#rows === 0 ? '\n{' : ',\n{';
      else text += this.#rows === 0 ? '{' : '\n{';
    }
    this.#rows++;
    const esc: Escape = json ? jsonEscape : rawEscape;
    let held: string | undefined; // a LongCell's bytes, once read, for a second column showing it
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i];
      if (json) {
        const key = `"${jsonEscape((this.#columns[i] as Column).name.toLowerCase())}"`;
        const sep = i === 0 ? '' : f.json === 'pretty' ? ',\n' : ',';
        text += f.json === 'pretty' ? `${sep}         ${key}: ` : `${sep}${key}:`;
      } else if (i > 0) text += ' ';
      if (cell === undefined || cell === '') {
        if (json) text += 'null';
      } else if (typeof cell === 'string') {
        text += json ? `"${esc(cell)}"` : esc(cell);
      } else {
        const keep = held === undefined && cells.indexOf(cell, i + 1) >= 0;
        if (held !== undefined) {
          text += json ? `"${esc(held)}"` : esc(held);
          continue;
        }
        let all = cell.head;
        text += (json ? '"' : '') + esc(all);
        for (let piece = await cell.more(); piece !== undefined; piece = await cell.more()) {
          const bytes = piece;
          if (keep) all += bytes;
          text += esc(bytes);
          if (text.length >= 1 << 16) {
            await this.#out.write(this.#pending + text);
            this.#pending = '';
            text = '';
          }
        }
        if (json) text += '"';
        if (keep) held = all;
      }
    }
    if (json) text += f.json === 'pretty' ? '\n      }' : '}';
    else text += '\n';
    this.#pending += text;
    if (this.#pending.length >= 1 << 16) {
      await this.#out.write(this.#pending);
      this.#pending = '';
    }
  }

  /** Ends the table (JSON's closing brackets); an empty table prints only what libsmartcols prints for one. */
  async end(): Promise<void> {
    const f = this.#format;
    let text = this.#pending;
    this.#pending = '';
    if (f.mode === 'json') {
      if (this.#rows === 0) text += this.#begin();
      if (f.json === 'pretty') text += '\n   ]\n}\n';
      else if (f.json === 'compact') text += '\n]}\n';
      else if (this.#rows > 0) text += '\n';
    }
    await this.#out.write(text);
  }
}

/**
 * Renders the human table as libsmartcols does for output that is not a terminal: a column is as wide as its
 * widest cell, at least its header, and widened to its hint when its cells reach the header's width; cells are
 * separated by one space; the last column is not padded. It needs every row before the first line, so the rows
 * come from `rows()`, called twice (once to measure, once to print), which lets the caller keep them compactly.
 * An empty table prints nothing, not even its header.
 */
export async function printTable(
  columns: readonly Column[],
  rows: () => Iterable<readonly Cell[]>,
  format: TableFormat,
  out: TableOutput,
): Promise<void> {
  const widest = columns.map(() => 0);
  let count = 0;
  for (const row of rows()) {
    count++;
    row.forEach((cell, i) => {
      if (cell !== undefined) widest[i] = Math.max(widest[i] as number, tableEscape(cell, format.utf8).width);
    });
  }
  if (count === 0) return;
  const widths = columns.map((col, i) => {
    const min = tableEscape(col.name, format.utf8).width;
    const w = widest[i] as number;
    if (w < min) return min;
    if (col.widthHint >= 1 && w < col.widthHint && min < col.widthHint) return col.widthHint;
    return w;
  });
  const last = columns.length - 1;
  const line = (cells: readonly Cell[]) => {
    let text = '';
    cells.forEach((cell, i) => {
      const { text: shown, width } = tableEscape(cell ?? '', format.utf8);
      text += i === last ? shown : shown + ' '.repeat((widths[i] as number) - width + 1);
    });
    return `${text}\n`;
  };
  let text = format.noHeadings ? '' : line(columns.map((c) => c.name));
  for (const row of rows()) {
    text += line(row);
    if (text.length >= 1 << 16) {
      await out.write(text);
      text = '';
    }
  }
  await out.write(text);
}
