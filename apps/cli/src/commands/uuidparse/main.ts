import { parseAny, timestampTicks, variant } from '@suite/uuid';
import { defineTool, type ToolContext } from '../../shared/define-tool.js';
import { type CommandLineSpec, GetoptError, parseCommandLine } from '../../shared/getopt.js';
import { write } from '../../shared/uuid/output.js';
import { rawArgv } from '../../shared/uuid/raw-argv.js';
import {
  type Cell,
  type Column,
  isUtf8Locale,
  jsonFormatOf,
  type LongCell,
  printTable,
  StreamingTable,
  type TableFormat,
  type TableOutput,
} from './table.js';
import { WordReader } from './word-reader.js';

const PROGRAM = 'uuidparse';

/** util-linux 2.42's options; -J and -r exclude each other. */
const SPEC: CommandLineSpec = {
  mode: 'gnu',
  options: [
    { short: 'J', long: 'json' },
    { short: 'n', long: 'noheadings' },
    { short: 'o', long: 'output', arg: 'required' },
    { short: 'r', long: 'raw' },
    { short: 'V', long: 'version' },
    { short: 'h', long: 'help' },
  ],
  exclusive: [['J', 'r']],
};

/** util-linux's columns and width hints. */
const COLUMNS: readonly Column[] = [
  { name: 'UUID', widthHint: 37 },
  { name: 'VARIANT', widthHint: 9 },
  { name: 'TYPE', widthHint: 10 },
  { name: 'TIME', widthHint: 31 },
];
const MAX_COLUMNS = COLUMNS.length * 2;

const HELP = `
Usage:
 ${PROGRAM} [options] <uuid ...>

Options:
 -J, --json             use JSON output format
 -n, --noheadings       don't print headings
 -o, --output <list>    COLUMNS to display (see below)
 -r, --raw              use the raw output format
 -h, --help             display this help
 -V, --version          display version

Available output columns:
     UUID  unique identifier
  VARIANT  variant name
     TYPE  type name
     TIME  timestamp

For more details see uuidparse(1).
`;

const TYPES: Readonly<Record<number, string>> = {
  1: 'time-based',
  2: 'DCE',
  3: 'name-based',
  4: 'random',
  5: 'sha1-based',
  6: 'time-v6',
  7: 'time-v7',
  8: 'vendor',
};

/** `YYYY-MM-DD HH:MM:SS,uuuuuu+HH:MM` in the local time zone (util-linux's ISO_TIMESTAMP_COMMA). */
function isoTimestampComma(sec: bigint, usec: number): string {
  const date = new Date(Number(sec) * 1000);
  const offset = -date.getTimezoneOffset();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${p(date.getFullYear(), 4)}-${p(date.getMonth() + 1)}-${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())},${p(usec, 6)}` +
    `${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`
  );
}

/** One row: UUID, VARIANT, TYPE, TIME as util-linux 2.42 fills them (`input` is a byte string). */
function describe(input: string): Record<string, Cell> {
  const bytes = input.length === 36 ? parseAny(input) : undefined;
  if (bytes === undefined) return { UUID: input, VARIANT: 'invalid', TYPE: 'invalid', TIME: 'invalid' };
  const v = variant(bytes);
  // Types and times are defined for the DCE (RFC 9562) variant only (util-linux 2.41 and later).
  if (v !== 'DCE') return { UUID: input, VARIANT: v, TYPE: undefined, TIME: undefined };
  const ver = (bytes[6] as number) >> 4;
  let time: Cell;
  if (ver === 1 || ver === 6 || ver === 7) {
    const ticks = timestampTicks(bytes); // 100-ns ticks since the Unix epoch
    const sec = ticks / 10_000_000n - (ticks % 10_000_000n < 0n ? 1n : 0n);
    const usec = Number((ticks - sec * 10_000_000n) / 10n);
    time = isoTimestampComma(sec, usec);
  }
  return { UUID: input, VARIANT: v, TYPE: TYPES[ver] ?? 'unknown', TIME: time };
}

/** `-o LIST`: names (any case), separated by commas; a leading `+` adds to the default columns. */
function columnsOf(list: string): readonly Column[] | string {
  const add = list.startsWith('+');
  const names = (add ? list.slice(1) : list).split(',');
  const picked: Column[] = add ? [...COLUMNS] : [];
  for (const name of names) {
    const col = COLUMNS.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!col) return `unknown column: ${name}`;
    picked.push(col);
  }
  if (picked.length > MAX_COLUMNS) return `too many columns: at most ${MAX_COLUMNS}`;
  return picked;
}

/** uuidparse(1) of util-linux 2.42: `-J -n -o -r`, the same columns, types and formats. */
export const { main } = defineTool({ name: PROGRAM, help: HELP, answers: 'options', run: uuidparse });

async function uuidparse(argv: readonly string[], tool: ToolContext): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    // Arguments as byte strings: a word that is not UTF-8 is shown with its own bytes, as util-linux shows it.
    parsed = parseCommandLine(rawArgv(argv).args, SPEC);
  } catch (error) {
    if (!(error instanceof GetoptError)) throw error;
    if (error.kind === 'exclusive') return exclusiveError(error.message);
    warn(error.message);
    process.stderr.write(`Try '${PROGRAM} --help' for more information.\n`);
    return 1;
  }

  let mode: 'table' | 'raw' | 'json' = 'table';
  let noHeadings = false;
  let outarg: string | undefined;
  for (const { key, value } of parsed.options) {
    if (key === 'h') return tool.help();
    if (key === 'V') return tool.version();
    if (key === 'J') mode = 'json';
    else if (key === 'r') mode = 'raw';
    else if (key === 'n') noHeadings = true;
    else if (key === 'o') outarg = value;
  }
  let columns: readonly Column[] = COLUMNS;
  if (outarg !== undefined) {
    const picked = columnsOf(outarg);
    if (typeof picked === 'string') {
      warn(picked);
      return 1;
    }
    columns = picked;
  }

  const format: TableFormat = {
    mode,
    noHeadings,
    jsonName: 'uuids',
    json: jsonFormatOf(process.env.LIBSMARTCOLS_JSON),
    utf8: isUtf8Locale(process.env),
  };
  const out = outputTo(process.stdout);
  // Arguments and stdin words are byte strings: what is not UTF-8 is shown as libsmartcols shows it.
  const words = parsed.operands.length > 0 ? parsed.operands : undefined;
  const stdin = () => new WordReader(process.stdin);
  if (mode === 'table') {
    const all = words ?? (await readAllWords(stdin()));
    if (typeof all === 'number') {
      process.stderr.write(
        `${PROGRAM}: a word on stdin is longer than ${all >> 20} MiB: the table needs it whole; --raw and --json stream it\n`,
      );
      return 1;
    }
    const rows = function* () {
      for (const word of all) {
        const row = describe(word);
        yield columns.map((c) => row[c.name]);
      }
    };
    await printTable(columns, rows, format, out);
  } else {
    const table = new StreamingTable(columns, format, out);
    if (words !== undefined) {
      for (const word of words) {
        const row = describe(word);
        await table.row(columns.map((c) => row[c.name]));
      }
    } else {
      const reader = stdin();
      for (let w = await reader.next(LONGEST); w !== undefined; w = await reader.next(LONGEST)) {
        const row = describe(w.head);
        // A word longer than a UUID is invalid whatever follows: its rest is streamed into its cell.
        const long: LongCell = { head: w.head, more: () => reader.more() };
        await table.row(columns.map((c) => (c.name === 'UUID' && !w.ended ? long : row[c.name])));
      }
    }
    await table.end();
  }
  return 0;
}

/** Read this many bytes of a word before deciding it is longer than any UUID. */
const LONGEST = 37;

/**
 * Every stdin word, for the human table, or the word limit when a word is longer than it, or the word limit when a word is longer than it (which needs every width before its first line). Unlike util-linux's
 * scanf loop, a word longer than 36 characters stays one (invalid) word, and the last word counts even without a
 * newline after it.
 */
async function readAllWords(reader: WordReader): Promise<string[] | number> {
  const words: string[] = [];
  for (let w = await reader.next(LONGEST); w !== undefined; w = await reader.next(LONGEST)) {
    let word = w.head;
    if (!w.ended) {
      for (let piece = await reader.more(); piece; piece = await reader.more()) {
        word += piece;
        // Far below V8's longest string (about 512 MiB), which </dev/zero would reach as one word.
        if (word.length > WORD_LIMIT) return WORD_LIMIT;
      }
    }
    words.push(word);
  }
  return words;
}

/** The longest stdin word a human table takes (bytes). */
const WORD_LIMIT = 64 << 20;

/** Byte strings to a stream, waiting for the reader; after EPIPE (the reader has gone) the rest is dropped. */
function outputTo(stream: NodeJS.WritableStream): TableOutput {
  let gone = false;
  return {
    async write(bytes) {
      if (gone || bytes === '') return;
      gone = !(await write(stream, Buffer.from(bytes, 'latin1')));
    },
  };
}

/** util-linux's err_exclusive_options: the message alone (no --help hint), status 1. */
function exclusiveError(message: string): number {
  warn(message);
  return 1;
}

/** Writes `uuidparse: message` (a byte string: words quoted in it keep their bytes) to stderr. */
function warn(message: string): void {
  process.stderr.write(Buffer.from(`${PROGRAM}: ${message}\n`, 'latin1'));
}
