/** A column of a libsmartcols-style table: its header and its width hint. */
export interface Column {
  readonly name: string;
  readonly widthHint: number;
}

/** How the table is printed: util-linux's default table, `--raw` or `--json`. */
export interface TableFormat {
  readonly mode: 'table' | 'raw' | 'json';
  readonly noHeadings: boolean;
  /** The JSON array's name (`uuids`). */
  readonly jsonName: string;
}

/** A cell: text, or undefined for "no data" (blank in a table, null in JSON). */
export type Cell = string | undefined;

const hex2 = (c: number) => `\\x${c.toString(16).padStart(2, '0')}`;

/** Table cells show control characters as \xNN (libsmartcols' mbs_safe_encode). */
function safe(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => hex2(c.charCodeAt(0)));
}

/** Raw cells also escape blanks and backslashes, so that a line splits on spaces. */
function rawSafe(text: string): string {
  return text.replace(/[\x00-\x20\x7f\\]/g, (c) => hex2(c.charCodeAt(0)));
}

function jsonString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) {
      const named: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
      out += named[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** Display width: one column per code point (enough for what uuidparse shows). */
const width = (text: string) => [...text].length;

/**
 * Renders rows as util-linux's libsmartcols does for output that is not a terminal: a column is as wide as its
 * widest cell, at least its header, and widened to its hint when its cells reach the header's width; cells are
 * separated by one space; the last column is not padded.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly Cell[][],
  format: TableFormat,
): string {
  if (format.mode === 'json') {
    const keys = columns.map((c) => jsonString(c.name.toLowerCase()));
    // libsmartcols puts `},{` between objects.
    let body = '';
    rows.forEach((row, r) => {
      const fields = row.map(
        (cell, i) => `         ${keys[i]}: ${cell === undefined ? 'null' : jsonString(cell)}`,
      );
      body += `${r === 0 ? '      {' : ',{'}\n${fields.join(',\n')}\n      }`;
    });
    return `{\n   ${jsonString(format.jsonName)}: [\n${body}\n   ]\n}\n`;
  }
  const lines: string[][] = [];
  if (!format.noHeadings) lines.push(columns.map((c) => c.name));
  if (format.mode === 'raw') {
    for (const row of rows) lines.push(row.map((cell) => (cell === undefined ? '' : rawSafe(cell))));
    return lines.map((l) => `${l.join(' ')}\n`).join('');
  }
  const shown = rows.map((row) => row.map((cell) => (cell === undefined ? '' : safe(cell))));
  const widths = columns.map((col, i) => {
    const min = width(col.name);
    let w = 0;
    for (const row of shown) w = Math.max(w, width(row[i] as string));
    if (w < min) return min;
    if (col.widthHint >= 1 && w < col.widthHint && min < col.widthHint) return col.widthHint;
    return w;
  });
  for (const row of shown) lines.push(row);
  const last = columns.length - 1;
  return lines
    .map(
      (line) =>
        `${line.map((cell, i) => (i === last ? cell : cell + ' '.repeat((widths[i] as number) - width(cell) + 1))).join('')}\n`,
    )
    .join('');
}
