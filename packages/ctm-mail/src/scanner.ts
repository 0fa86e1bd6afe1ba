import { latin1String as latin1 } from '@suite/internal';
import { decodeLine } from './_base64.js';
import { concatBytes, copyBytes } from './_bytes.js';
import { pieceChecksum } from './checksum.js';
import { deltaFileName, printable, printableChar } from './delta-name.js';
import { CtmMailError } from './errors.js';
import type { PieceId } from './piece-name.js';

/** The largest piece count accepted on a BEGIN line. */
export const MAX_PIECE_COUNT = 999_999;

/**
 * The longest line kept, in bytes (a piece's lines are 72 characters, a BEGIN line is read up to 1024): a longer
 * line is no piece line, and is skipped without being held, so memory stays bounded whatever the input.
 * @example
 * new PieceScanner().feed(new Uint8Array(MAX_LINE + 1).fill(0x43)); // [] — nothing kept, nothing found
 */
export const MAX_LINE = 4096;

/** What the scanner found, in input order. */
export type ScanEvent =
  /** A `CTM_MAIL BEGIN` line: a piece starts (its name already mapped and checked). */
  | { readonly type: 'begin'; readonly piece: PieceId }
  /** Decoded bytes of the open piece: a view that the next `feed` or `end` overwrites, so use or copy it first. */
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** The open piece ended with a correct checksum. */
  | { readonly type: 'end'; readonly piece: PieceId }
  /**
   * A piece was rejected: the open one (after `begin`), or one refused at its BEGIN line (no `begin` was sent).
   * `messages` are the log lines, the original's, ending in `NAME P/N discarded`.
   */
  | { readonly type: 'discard'; readonly opened: boolean; readonly messages: readonly string[] };

enum State {
  Outside,
  Decoding,
  Skipping,
}

const C = 0x43; // 'C', first byte of CTM_MAIL lines
const CTM_MAIL = [0x43, 0x54, 0x4d, 0x5f, 0x4d, 0x41, 0x49, 0x4c];
const WS = '[ \\t\\n\\v\\f\\r]';
const BEGIN_RE = new RegExp(`^CTM_MAIL${WS}*BEGIN(.*)$`, 's');
const END_RE = new RegExp(`^CTM_MAIL${WS}*END${WS}*([+-]?\\d+)$`);
const INT_RE = /^[+-]?\d+$/;
const WS_RE = new RegExp(`${WS}+`);

/**
 * Finds and decodes pieces in text, line by line, with every check and message of the original ctm_rmail:
 * trailing white space is ignored (CRLF works), text outside BEGIN...END is ignored, an illegal character, a bad
 * checksum or the end of input inside a piece discards it. Names from BEGIN lines are mapped (`/` to `_`) and
 * hostile ones refused. Feed it chunks of any size; it keeps a partial last line for the next chunk.
 * @example
 * const scanner = new PieceScanner();
 * for (const event of [...scanner.feed(bytes), ...scanner.end()]) console.log(event.type);
 */
export class PieceScanner {
  /** Lines consumed so far (the number of the last line seen); error messages name lines by it. */
  line = 0;
  /** BEGIN lines seen, refused ones included (a file with none "contains no delta"). */
  begins = 0;

  #state = State.Outside;
  #carry: Uint8Array | undefined;
  /** Inside a line longer than {@link MAX_LINE}: skipping to its newline. */
  #overlong = false;
  #piece: PieceId | undefined;
  #sum = 0xffff;
  #events: ScanEvent[] = [];
  #out = new Uint8Array(0);
  #outStart = 0;
  #outEnd = 0;

  /** Scans `chunk`; returns the events it completed. */
  feed(chunk: Uint8Array): ScanEvent[] {
    let pos = 0;
    this.#prepareOut(chunk.length + (this.#carry?.length ?? 0));
    if (this.#overlong) {
      const nl = chunk.indexOf(10);
      if (nl < 0) return this.#take();
      this.#overlong = false;
      this.#longLine();
      pos = nl + 1;
    } else if (this.#carry) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        if (this.#carry.length + chunk.length > MAX_LINE) {
          this.#carry = undefined;
          this.#overlong = true;
        } else this.#carry = concatBytes([this.#carry, chunk]);
        return this.#take();
      }
      if (this.#carry.length + nl > MAX_LINE) {
        this.#carry = undefined;
        this.#longLine();
      } else {
        const line = concatBytes([this.#carry, chunk.subarray(0, nl)]);
        this.#carry = undefined;
        this.#line(line, 0, line.length);
      }
      pos = nl + 1;
    }
    const length = chunk.length;
    while (pos < length) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        if (length - pos > MAX_LINE) this.#overlong = true;
        else this.#carry = copyBytes(chunk.subarray(pos));
        break;
      }
      // Ordinary mail, out of a piece: only a line starting with 'C' can matter (the hot path, inlined).
      if (this.#state === State.Outside && chunk[pos] !== C) this.line++;
      else if (nl - pos > MAX_LINE) this.#longLine();
      else this.#line(chunk, pos, nl);
      pos = nl + 1;
    }
    return this.#take();
  }

  /** A line longer than {@link MAX_LINE}: no piece line; inside a piece, it ends the piece as bad input. */
  #longLine(): void {
    this.line++;
    if (this.#state === State.Decoding) this.#discard([`line ${this.line}: line too long`]);
    this.#state = State.Outside;
  }

  /** The input ended: scans a last line without a newline, and discards a piece left open. */
  end(): ScanEvent[] {
    if (this.#overlong) {
      this.#overlong = false;
      this.#longLine();
    }
    if (this.#carry) {
      const line = this.#carry;
      this.#carry = undefined;
      this.#prepareOut(line.length);
      this.#line(line, 0, line.length);
    }
    if (this.#state === State.Decoding) this.#discard(['truncated file']);
    this.#state = State.Outside;
    return this.#take();
  }

  #prepareOut(size: number): void {
    if (this.#out.length < size) this.#out = new Uint8Array(Math.max(size, 65536));
    this.#outStart = 0;
    this.#outEnd = 0;
  }

  #take(): ScanEvent[] {
    this.#flushData();
    const events = this.#events;
    this.#events = [];
    return events;
  }

  #flushData(): void {
    if (this.#outEnd > this.#outStart) {
      this.#events.push({ type: 'data', bytes: this.#out.subarray(this.#outStart, this.#outEnd) });
      this.#outStart = this.#outEnd;
    }
  }

  #line(buf: Uint8Array, start: number, end: number): void {
    this.line++;
    const state = this.#state;
    // Most lines are ordinary mail: out of a piece, only a line starting with 'C' can matter.
    if (state === State.Outside && buf[start] !== C) return;
    // The original strips trailing white space but never the first character.
    while (end - 1 > start && isSpace(buf[end - 1]!)) end--;
    if (state === State.Outside) {
      if (startsWithCtmMail(buf, start, end)) this.#begin(buf, start, end);
      return;
    }
    if (buf[start] === C && startsWithCtmMail(buf, start, end)) {
      const m = END_RE.exec(latin1(buf, start, end));
      if (m) {
        if (state === State.Decoding) this.#end(m[1]!);
        this.#state = State.Outside;
        return;
      }
    }
    const n = decodeLine(buf, start, end, this.#out, this.#outEnd);
    if (n < 0) {
      if (state === State.Decoding) {
        const index = -1 - n;
        const code = start + index < end ? buf[start + index]! : 10;
        this.#discard([`line ${this.line}: illegal character: '${printableChar(code)}'`]);
      }
      this.#state = State.Outside;
      return;
    }
    if (state === State.Decoding) {
      this.#sum = pieceChecksum(this.#out, this.#sum, this.#outEnd, this.#outEnd + n);
      this.#outEnd += n;
    }
  }

  #begin(buf: Uint8Array, start: number, end: number): void {
    if (end - start > 1024) return;
    const m = BEGIN_RE.exec(latin1(buf, start, end));
    if (!m) return;
    const fields = m[1]!.trim().split(WS_RE);
    if (fields.length !== 3 || !INT_RE.test(fields[1]!) || !INT_RE.test(fields[2]!)) return;
    const raw = fields[0]!;
    const number = Number.parseInt(fields[1]!, 10);
    const count = Number.parseInt(fields[2]!, 10);
    this.begins++;
    let name: string;
    try {
      name = deltaFileName(raw);
    } catch (error) {
      const reason = error instanceof CtmMailError ? error.message : String(error);
      this.#refuse([`refused: ${reason}`, `${printable(raw).slice(1, -1)} ${number}/${count} discarded`]);
      return;
    }
    if (number < 1 || number > count || count > MAX_PIECE_COUNT) {
      this.#refuse([
        `refused: piece ${number} of ${count} is impossible`,
        `${name} ${number}/${count} discarded`,
      ]);
      return;
    }
    this.#piece = { name, number, count };
    this.#sum = 0xffff;
    this.#state = State.Decoding;
    this.#events.push({ type: 'begin', piece: this.#piece });
  }

  #refuse(messages: string[]): void {
    this.#events.push({ type: 'discard', opened: false, messages });
    this.#state = State.Skipping;
  }

  #end(claimed: string): void {
    const piece = this.#piece!;
    const read = Number.parseInt(claimed, 10);
    if (read !== this.#sum) {
      this.#discard([`checksum: read ${read}, calculated ${this.#sum}`]);
      return;
    }
    this.#flushData();
    this.#events.push({ type: 'end', piece });
    this.#piece = undefined;
  }

  #discard(reasons: string[]): void {
    const { name, number, count } = this.#piece!;
    // The open piece's data not yet handed out is dropped with it.
    this.#outEnd = this.#outStart;
    this.#events.push({
      type: 'discard',
      opened: true,
      messages: [...reasons, `${name} ${number}/${count} discarded`],
    });
    this.#piece = undefined;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function startsWithCtmMail(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 8) return false;
  for (let i = 1; i < 8; i++) if (buf[start + i] !== CTM_MAIL[i]) return false;
  return true;
}
