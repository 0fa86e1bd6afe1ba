import { BYTE_TO_HEX, latin1String as byteString } from '@suite/internal';
import { concatBytes, copyBytes } from '../_bytes.js';
import { CtmError, CtmExit } from './errors.js';
import type { Md5 } from './md5.js';

const SPACE = 0x20;
const NEWLINE = 0x0a;
const MAX_TOKEN = 4096;

function isSpace(b: number): boolean {
  return b === SPACE || (b >= 0x09 && b <= 0x0d);
}

/**
 * Reads a delta's fields and data blocks from a stream of chunks, as ctm(1)'s Ffield/Fdata do: a field ends at the
 * first white space, which must be the separator ctm(5) puts there. Feeds every byte it consumes to the whole-delta
 * MD5 until told to stop.
 */
export class ByteReader {
  readonly #chunks: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #hashFrom = 0;
  #hash: Md5 | undefined;

  constructor(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, hash: Md5) {
    this.#chunks =
      Symbol.asyncIterator in chunks
        ? (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
        : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
    this.#hash = hash;
  }

  /** Reads one field that must end with `term` (a space or a newline). */
  async field(term: 0x20 | 0x0a): Promise<string> {
    let parts: Uint8Array[] | undefined;
    let length = 0;
    for (;;) {
      if (this.#pos >= this.#buf.length && !(await this.#more())) throw truncated();
      const buf = this.#buf;
      const start = this.#pos;
      let i = start;
      while (i < buf.length && !isSpace(buf[i]!)) i++;
      length += i - start;
      if (length > MAX_TOKEN) throw corrupt('Token is too long.');
      if (i < buf.length) {
        const sep = buf[i]!;
        this.#pos = i + 1;
        const tail = buf.subarray(start, i);
        if (sep !== term) {
          throw corrupt(`Expected "${term === NEWLINE ? '\\n' : ' '}" but didn't find it {${hex2(sep)}}.`);
        }
        if (!parts) return byteString(tail);
        parts.push(tail);
        return byteString(concatBytes(parts, length));
      }
      parts ??= [];
      parts.push(buf.slice(start, i));
      this.#pos = i;
    }
  }

  /**
   * Reads a data block: `count` bytes, then the newline that ends every block. Memory grows with the bytes that
   * are really there, not with the count a delta claims.
   */
  async data(count: number): Promise<Uint8Array> {
    let out: Uint8Array;
    if (this.#buf.length - this.#pos >= count) {
      out = this.#buf.subarray(this.#pos, this.#pos + count);
      this.#pos += count;
    } else {
      const parts: Uint8Array[] = [];
      for await (const view of this.blocks(count)) parts.push(copyBytes(view));
      out = concatBytes(parts, count);
    }
    await this.endOfData();
    return out;
  }

  /**
   * Reads `count` bytes of a data block as views of the input, each valid until the next one is asked for; the
   * caller then calls {@link endOfData}.
   */
  async *blocks(count: number): AsyncGenerator<Uint8Array, void, undefined> {
    let left = count;
    while (left > 0) {
      if (this.#pos >= this.#buf.length && !(await this.#more())) throw truncated();
      const take = Math.min(left, this.#buf.length - this.#pos);
      const view = this.#buf.subarray(this.#pos, this.#pos + take);
      this.#pos += take;
      left -= take;
      yield view;
    }
  }

  /** Reads the newline that ends every data block. */
  async endOfData(): Promise<void> {
    if (this.#pos >= this.#buf.length && !(await this.#more())) throw truncated();
    if (this.#buf[this.#pos] !== NEWLINE) throw corrupt("FileData wasn't followed by a newline.");
    this.#pos++;
  }

  /** Ends the whole-delta MD5 here (after `CTM_END `) and returns it. */
  digest(): string {
    const hash = this.#hash;
    if (!hash) throw new Error('digest() called twice');
    hash.update(this.#buf.subarray(this.#hashFrom, this.#pos));
    this.#hash = undefined;
    return hash.hex();
  }

  /** Whether the input is used up. */
  async atEnd(): Promise<boolean> {
    return this.#pos >= this.#buf.length && !(await this.#more());
  }

  async #more(): Promise<boolean> {
    this.#hash?.update(this.#buf.subarray(this.#hashFrom));
    for (;;) {
      const next = await this.#chunks.next();
      if (next.done) {
        this.#buf = new Uint8Array(0);
        this.#pos = this.#hashFrom = 0;
        return false;
      }
      if (next.value.length === 0) continue;
      this.#buf = next.value;
      this.#pos = this.#hashFrom = 0;
      return true;
    }
  }
}

function hex2(b: number): string {
  return BYTE_TO_HEX[b] ?? '';
}

function truncated(): CtmError {
  return new CtmError('ETRUNCATED', 'Truncated patch.', CtmExit.Garbage);
}

function corrupt(detail: string): CtmError {
  return new CtmError('ECORRUPT', `Corrupt patch. ${detail}`, CtmExit.Garbage);
}
