import { encodedLength, encodeLines, LINE_BYTES } from './_base64.js';
import { CtmMailError } from './errors.js';
import type { PieceId } from './piece-name.js';
import { DEFAULT_MAX_MESSAGE_SIZE, planPieces } from './sizing.js';

/** Where the delta's bytes come from: `read(n)` resolves to up to `n` bytes, fewer only at the end. */
export interface DeltaSource {
  read(length: number): Promise<Uint8Array> | Uint8Array;
}

/** Where one piece's message goes: its bytes in order, then `close()`. */
export interface PieceSink {
  write(bytes: Uint8Array): Promise<void> | void;
  close(): Promise<void> | void;
}

/** What `splitDelta` needs to know. */
export interface SplitOptions {
  /** The delta's name (the basename of its file) as it appears in subjects and BEGIN lines. */
  readonly name: string;
  /** The delta's size in bytes. */
  readonly size: number;
  /** The mailing list: `To: ALIAS`, `From: owner-ALIAS`. */
  readonly alias: string;
  /** ctm_smail's -m. @default 64000 */
  readonly maxMessageSize?: number;
}

/** Input bytes encoded per write into a sink: bounds memory whatever the piece size. */
const CHUNK_LINES = 4096;

const encoder = new TextEncoder();

/** The mail and BEGIN headers of a piece, as the original writes them. */
export function pieceHeader(alias: string, piece: PieceId): string {
  const { name, number, count } = piece;
  return (
    `From: owner-${alias}\nTo: ${alias}\nSubject: ctm-mail ${name} ${number}/${count}\n\n` +
    `CTM_MAIL BEGIN ${name} ${number} ${count}\n`
  );
}

/**
 * Cuts a delta into pieces and writes each as a complete mail message (headers, BEGIN line, encoded lines,
 * `CTM_MAIL END sum`), byte-identical to the original ctm_smail's, into the sink `open` returns for it. Reads the
 * delta in bounded chunks, so memory stays small whatever the delta's or the pieces' size.
 * @throws {CtmMailError} `EEMPTY`, `EBADSIZE` (see {@link planPieces}); `EREAD` if the source ends early.
 * @example
 * await splitDelta(source, { name: 'src-cur.0042.gz', size, alias: 'ctm-src-cur' }, async (piece) => sinkFor(piece));
 */
export async function splitDelta(
  source: DeltaSource,
  options: SplitOptions,
  open: (piece: PieceId) => Promise<PieceSink> | PieceSink,
): Promise<void> {
  const plan = planPieces(options.size, options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
  let left = options.size;
  for (let number = 1; number <= plan.count; number++) {
    const piece = { name: options.name, number, count: plan.count };
    const sink = await open(piece);
    let pieceLeft = Math.min(plan.bytesPerPiece, left);
    let sum = 0xffff;
    let head: Uint8Array | undefined = encoder.encode(pieceHeader(options.alias, piece));
    // Each write is one buffer: the header with the first lines, the last lines with the END line.
    do {
      const want = Math.min(pieceLeft, CHUNK_LINES * LINE_BYTES);
      const bytes = want > 0 ? await readFully(source, want) : EMPTY;
      const last = want === pieceLeft;
      const out = new Uint8Array(
        (head?.length ?? 0) + encodedLength(bytes.length) + (last ? MAX_TRAILER : 0),
      );
      let at = 0;
      if (head) {
        out.set(head);
        at = head.length;
        head = undefined;
      }
      sum = encodeLines(bytes, 0, bytes.length, out, at, sum);
      at += encodedLength(bytes.length);
      if (last) {
        const tail = encoder.encode(`CTM_MAIL END ${sum}\n`);
        out.set(tail, at);
        at += tail.length;
      }
      await sink.write(out.subarray(0, at));
      pieceLeft -= bytes.length;
      left -= bytes.length;
    } while (pieceLeft > 0);
    await sink.close();
  }
}

const EMPTY = new Uint8Array(0);
/** `CTM_MAIL END 65535\n`: the longest END line. */
const MAX_TRAILER = 19;

async function readFully(source: DeltaSource, length: number): Promise<Uint8Array> {
  const first = await source.read(length);
  if (first.length === length) return first;
  const out = new Uint8Array(length);
  out.set(first);
  let got = first.length;
  while (got < length) {
    const more = await source.read(length - got);
    if (more.length === 0) {
      throw new CtmMailError('EREAD', `the delta ended after ${got} bytes of a chunk of ${length}`);
    }
    out.set(more, got);
    got += more.length;
  }
  return out;
}

/** What `noticeMessage` needs: the delta, its size and the limit it exceeds. */
export interface NoticeOptions {
  readonly name: string;
  readonly size: number;
  readonly maxDeltaSize: number;
  readonly alias: string;
}

/**
 * The message ctm_smail sends instead of the pieces when the delta exceeds -c maxctmsize.
 * @example
 * noticeMessage({ name: 'src-cur.0999.gz', size: 792843, maxDeltaSize: 300000, alias: 'src-cur' });
 */
export function noticeMessage(options: NoticeOptions): Uint8Array {
  const { name, size, maxDeltaSize, alias } = options;
  return encoder.encode(
    `From: owner-${alias}\nTo: ${alias}\nSubject: ctm-notice ${name}\n\n` +
      `${name} is ${size} bytes.  The limit is ${maxDeltaSize} bytes.\n\nYou can retrieve this delta via ftp.\n`,
  );
}
