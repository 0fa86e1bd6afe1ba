/** Bytes that separate words (isspace in the C locale). */
function isSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

/** The start of a word: up to `limit` bytes, and whether the word ended within them. */
export interface WordHead {
  /** The word's first bytes as a byte string (all of it when `ended`). */
  readonly head: string;
  /** True when the word has no more bytes than `head`; else read the rest with `more()` before the next word. */
  readonly ended: boolean;
}

/**
 * Whitespace-separated words of a byte stream, read as they come, as byte strings (one char per byte, latin1):
 * memory stays bounded by a chunk and the head of a word, however long the input or a word (`</dev/zero` is one
 * endless word). A word longer than the head's limit is handed on in pieces (`more()`), for the caller to stream
 * or keep.
 */
export class WordReader {
  readonly #chunks: AsyncIterator<Buffer | string>;
  /** The current chunk as a byte string: words are cut from it as substrings, without copying bytes. */
  #buf = '';
  #pos = 0;
  #eof = false;
  #inWord = false;

  constructor(stream: AsyncIterable<Buffer | string>) {
    this.#chunks = stream[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    while (!this.#eof && this.#pos >= this.#buf.length) {
      const next = await this.#chunks.next();
      if (next.done) this.#eof = true;
      else {
        this.#buf = typeof next.value === 'string' ? next.value : next.value.toString('latin1');
        this.#pos = 0;
      }
    }
    return this.#pos < this.#buf.length;
  }

  /** The next word's first bytes (at most `limit`), or undefined at the end of the input. */
  async next(limit: number): Promise<WordHead | undefined> {
    while (this.#inWord) await this.more(); // the rest of a word the caller left
    for (;;) {
      if (!(await this.#fill())) return undefined;
      while (this.#pos < this.#buf.length && isSpace(this.#buf.charCodeAt(this.#pos))) this.#pos++;
      if (this.#pos < this.#buf.length) break;
    }
    let head = '';
    while (head.length < limit) {
      if (!(await this.#fill())) return { head, ended: true };
      const start = this.#pos;
      const stop = Math.min(this.#buf.length, start + (limit - head.length));
      let end = start;
      while (end < stop && !isSpace(this.#buf.charCodeAt(end))) end++;
      head += this.#buf.slice(start, end);
      this.#pos = end;
      if (end < stop) return { head, ended: true }; // a blank ends it
    }
    this.#inWord = true;
    return { head, ended: false };
  }

  /** The next piece of the current word after its head, as a byte string, or undefined at its end. */
  async more(): Promise<string | undefined> {
    if (!this.#inWord) return undefined;
    if (!(await this.#fill())) {
      this.#inWord = false;
      return undefined;
    }
    const start = this.#pos;
    let end = start;
    while (end < this.#buf.length && !isSpace(this.#buf.charCodeAt(end))) end++;
    this.#pos = end;
    if (end < this.#buf.length) this.#inWord = false; // stopped at a blank
    if (end === start) return undefined;
    return this.#buf.slice(start, end);
  }
}
