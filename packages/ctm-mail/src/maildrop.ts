import { latin1String as latin1 } from '@suite/internal';
import { concatBytes, copyBytes } from './_bytes.js';

/**
 * What a maildrop holds, in order: text to scan as it is, or a whole MIME-encoded message to decode first
 * (`lines` is its number of lines, so that line numbers after it stay right).
 */
export type MailSegment =
  | { readonly kind: 'plain'; readonly bytes: Uint8Array }
  | { readonly kind: 'mime'; readonly message: Uint8Array; readonly lines: number };

/** Options of a {@link MaildropReader}. */
export interface MaildropOptions {
  /**
   * Largest MIME message decoded; a bigger one is scanned as it is, so memory stays bounded.
   * @default 64 MiB
   */
  readonly maxMimeMessage?: number;
}

enum State {
  Start,
  Headers,
  Plain,
  Mime,
}

const FROM_ = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "
const NL_FROM_ = new Uint8Array([0x0a, ...FROM_]);
const ASE64 = new Uint8Array([0x61, 0x73, 0x65, 0x36, 0x34]); // "ase64": base64, Base64
const ASE64_UPPER = new Uint8Array([0x41, 0x53, 0x45, 0x36, 0x34]); // "ASE64"
const GT_FROM_ = new Uint8Array([0x3e, ...FROM_]);
const CTM_MAIL = new Uint8Array([0x43, 0x54, 0x4d, 0x5f, 0x4d, 0x41, 0x49, 0x4c]);
const MAX_HEADERS = 256 * 1024;
const MAX_CARRY = 1024 * 1024;

/**
 * Splits a maildrop into what the piece scanner reads: an mbox (messages after `From ` lines) or a single message.
 * Plain messages pass through untouched and unbuffered (the fast path); a message whose body is MIME-encoded
 * (quoted-printable or base64 transfer encoding, or multipart) and that may hold a piece is handed out whole, its
 * `>From ` lines unescaped, to be decoded. Memory stays bounded whatever the maildrop's size.
 * @example
 * const reader = new MaildropReader();
 * for (const segment of [...reader.feed(chunk), ...reader.end()]) ...
 */
export class MaildropReader {
  readonly #maxMime: number;
  #state = State.Start;
  #mbox = false;
  #carry: Uint8Array | undefined;
  #midLine = false;
  #held: Uint8Array[] = [];
  #heldSize = 0;
  #mime = false;
  #candidate = false;
  #header = '';
  #out: MailSegment[] = [];

  constructor(options: MaildropOptions = {}) {
    this.#maxMime = options.maxMimeMessage ?? 64 * 1024 * 1024;
  }

  /** Reads `chunk`; returns the segments it completed. */
  feed(chunk: Uint8Array): MailSegment[] {
    let buf = chunk;
    if (this.#carry) {
      // Finish the partial line alone, so that the rest stays a view of the caller's chunk (a Node Buffer
      // searches natively; a copy would not).
      const nl = chunk.indexOf(10);
      const head = concatBytes([this.#carry, nl < 0 ? chunk : chunk.subarray(0, nl + 1)]);
      this.#carry = undefined;
      if (nl < 0) {
        buf = head;
      } else {
        this.#feedComplete(head);
        buf = chunk.subarray(nl + 1);
      }
    }
    this.#feedComplete(buf);
    return this.#take();
  }

  #feedComplete(buf: Uint8Array): void {
    if (buf.length === 0) return;
    if (this.#state === State.Start) {
      if (buf.length < 5 && buf.indexOf(10) < 0) {
        this.#carry = copyBytes(buf);
        return;
      }
      this.#mbox = startsWith(buf, 0, FROM_);
      this.#state = this.#mbox ? State.Plain : State.Headers;
    }
    const lastNl = buf.lastIndexOf(10);
    let complete = buf;
    if (lastNl < buf.length - 1) {
      const rest = buf.subarray(lastNl + 1);
      if (rest.length > MAX_CARRY) {
        // A giant line: no message boundary can start inside it, so hand it on as it is.
        this.#region(buf, true);
        this.#midLine = true;
        return;
      }
      this.#carry = copyBytes(rest);
      complete = buf.subarray(0, lastNl + 1);
    }
    if (complete.length > 0) this.#region(complete, false);
  }

  /** The maildrop ended: returns what is left. */
  end(): MailSegment[] {
    const rest = this.#carry;
    this.#carry = undefined;
    if (rest && rest.length > 0) {
      if (this.#state === State.Start) this.#state = startsWith(rest, 0, FROM_) ? State.Plain : State.Headers;
      this.#region(rest, true);
    }
    if (this.#state === State.Headers) this.#releaseHeld();
    else if (this.#state === State.Mime) this.#finishMime();
    this.#state = State.Plain;
    return this.#take();
  }

  #take(): MailSegment[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #plain(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#out.push({ kind: 'plain', bytes });
  }

  /** Handles whole lines `buf` (the last one without its newline when `partial`). */
  #region(buf: Uint8Array, partial: boolean): void {
    let pos = 0;
    const atStart = !this.#midLine;
    this.#midLine = false;
    while (pos < buf.length) {
      if (this.#state === State.Plain || this.#state === State.Mime) {
        const boundary = this.#mbox ? this.#nextFrom(buf, pos, pos > 0 || atStart) : -1;
        const stop = boundary < 0 ? buf.length : boundary;
        if (this.#state === State.Plain) this.#plain(buf.subarray(pos, stop));
        else this.#hold(buf.subarray(pos, stop));
        if (boundary < 0) return;
        if (this.#state === State.Mime) this.#finishMime();
        // The From_ line itself is scanned as plain text, as the original reads every line.
        const nl = buf.indexOf(10, boundary);
        const lineEnd = nl < 0 ? buf.length : nl + 1;
        this.#plain(buf.subarray(boundary, lineEnd));
        this.#state = State.Headers;
        this.#mime = false;
        this.#header = '';
        pos = lineEnd;
        continue;
      }
      // Headers, one line at a time.
      const nl = buf.indexOf(10, pos);
      const lineEnd = nl < 0 ? buf.length : nl + 1;
      const line = buf.subarray(pos, nl < 0 ? buf.length : nl);
      this.#hold(buf.subarray(pos, lineEnd));
      pos = lineEnd;
      if (nl < 0 && partial) return;
      this.#headerLine(line);
    }
  }

  #nextFrom(buf: Uint8Array, pos: number, lineStart: boolean): number {
    if (lineStart && startsWith(buf, pos, FROM_)) return pos;
    const i = indexOf(buf, NL_FROM_, pos);
    return i < 0 ? -1 : i + 1;
  }

  #headerLine(line: Uint8Array): void {
    let end = line.length;
    if (end > 0 && line[end - 1] === 13) end--;
    if (end === 0) {
      // The end of the headers: decide how to read the body.
      if (this.#mime) {
        this.#state = State.Mime;
      } else {
        this.#releaseHeld();
        this.#state = State.Plain;
      }
      return;
    }
    const first = line[0]!;
    if (first === 0x20 || first === 0x09) {
      this.#header += latin1(line, 0, Math.min(end, 1024));
    } else {
      const colon = line.indexOf(0x3a);
      if (colon <= 0 || !isHeaderName(line, colon)) {
        // Not a header: not a message either; scan it as text.
        this.#releaseHeld();
        this.#state = State.Plain;
        return;
      }
      this.#header = latin1(line, 0, Math.min(end, 1024));
    }
    this.#noteHeader();
    if (this.#heldSize > MAX_HEADERS) {
      this.#releaseHeld();
      this.#state = State.Plain;
    }
  }

  #noteHeader(): void {
    const h = this.#header.toLowerCase();
    if (h.startsWith('content-transfer-encoding:')) {
      const value = h.slice(26).trim();
      if (value.startsWith('quoted-printable') || value.startsWith('base64')) this.#mime = true;
    } else if (h.startsWith('content-type:')) {
      if (h.slice(13).trim().startsWith('multipart/')) this.#mime = true;
    }
  }

  #hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // Could this message hide a piece? Only if it names CTM_MAIL or base64 somewhere.
    if (!this.#candidate) {
      this.#candidate =
        indexOf(bytes, CTM_MAIL) >= 0 || indexOf(bytes, ASE64) >= 0 || indexOf(bytes, ASE64_UPPER) >= 0;
    }
    this.#held.push(copyBytes(bytes));
    this.#heldSize += bytes.length;
    if (this.#state === State.Headers && this.#heldSize > MAX_HEADERS) {
      // Headers this long (or one endless line) are no mail header: scan them as they are.
      this.#releaseHeld();
      this.#state = State.Plain;
    } else if (this.#state === State.Mime && this.#heldSize > this.#maxMime) {
      // Too big to decode: scan what we have as it is.
      this.#releaseHeld();
      this.#state = State.Plain;
    }
  }

  #releaseHeld(): void {
    for (const part of this.#held) this.#plain(part);
    this.#held = [];
    this.#heldSize = 0;
    this.#candidate = false;
  }

  #finishMime(): void {
    if (!this.#candidate) {
      // Nothing in it can be a piece: scan it as it is, like any other mail.
      this.#releaseHeld();
      return;
    }
    const message = concatBytes(this.#held, this.#heldSize);
    this.#held = [];
    this.#heldSize = 0;
    this.#candidate = false;
    this.#out.push({
      kind: 'mime',
      message: this.#mbox && indexOf(message, GT_FROM_) >= 0 ? unescapeFrom(message) : message,
      lines: countLines(message),
    });
  }
}

function isHeaderName(line: Uint8Array, colon: number): boolean {
  for (let i = 0; i < colon; i++) {
    const c = line[i]!;
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function startsWith(buf: Uint8Array, at: number, prefix: readonly number[]): boolean {
  if (buf.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

function indexOf(buf: Uint8Array, needle: Uint8Array, from = 0): number {
  // Buffers (what Node hands us) search natively; plain Uint8Arrays jump from first byte to first byte.
  const native = (buf as { indexOf(value: unknown, from?: number): number }).indexOf;
  if (native !== Uint8Array.prototype.indexOf) return native.call(buf, needle, from);
  const first = needle[0]!;
  const last = buf.length - needle.length;
  let i = buf.indexOf(first, from);
  outer: while (i >= 0 && i <= last) {
    for (let j = 1; j < needle.length; j++) {
      if (buf[i + j] !== needle[j]) {
        i = buf.indexOf(first, i + 1);
        continue outer;
      }
    }
    return i;
  }
  return -1;
}

function countLines(buf: Uint8Array): number {
  let n = 0;
  let pos = buf.indexOf(10);
  while (pos >= 0) {
    n++;
    pos = buf.indexOf(10, pos + 1);
  }
  return n;
}

/** mboxrd: a line `>From ` (any number of `>`) loses one `>`. */
function unescapeFrom(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length);
  let o = 0;
  let lineStart = true;
  for (let i = 0; i < message.length; i++) {
    const c = message[i]!;
    if (lineStart && c === 0x3e) {
      let j = i;
      while (message[j] === 0x3e) j++;
      if (startsWith(message, j, FROM_)) {
        lineStart = false;
        continue; // drop this '>'
      }
    }
    out[o++] = c;
    lineStart = c === 10;
  }
  return out.subarray(0, o);
}
