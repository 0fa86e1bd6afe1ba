import { BYTE_TO_HEX as H } from './_hex.js';
import { hasOptions, output } from './_output.js';
import { pool } from './_random.js';
import type { Version7Options } from './types.js';

/** A 31-bit random counter seed: the top bit clear leaves at least 2^31 increments before the 32 bits overflow. */
function seedCounter(): number {
  const at = pool.take(4);
  const b = pool.bytes;
  return (
    (((b[at] as number) & 0x7f) << 24) |
    ((b[at + 1] as number) << 16) |
    ((b[at + 2] as number) << 8) |
    (b[at + 3] as number)
  );
}

/** Options of `V7Generator`. */
export interface V7GeneratorOptions {
  /** Milliseconds since the Unix epoch. @default Date.now */
  readonly clock?: () => number;
}

/**
 * A generator's (timestamp, counter), for the package's own tests (overflow cases); not exported from the package.
 * @internal
 */
export let v7State: {
  get(gen: V7Generator): { ms: number; seq: number };
  set(gen: V7Generator, ms: number, seq: number): void;
};

/**
 * A v7 generator with its own monotonic state; `v7()` uses one shared by the process. RFC 9562 §6.2, method 1
 * ("fixed bit-length dedicated counter"): unix_ts_ms (48 bits), then a 32-bit counter in rand_a (12 bits) and the
 * top 20 bits of rand_b, then 42 fresh random bits. A new millisecond seeds the counter randomly (31 bits, so at
 * least 2^31 increments fit); within a millisecond, or when the clock stalls or steps back, the last timestamp is
 * kept and the counter goes up by one; if it overflows, the timestamp moves on 1 ms and the counter is seeded
 * again. So every UUID sorts after the one before it, and the 42 random bits keep processes apart.
 * @example
 * import { V7Generator } from '@suite/uuid';
 * const gen = new V7Generator({ clock: () => 1_645_557_742_000 });
 * gen.next() < gen.next(); // true, though the clock stands still
 */
export class V7Generator {
  static {
    v7State = {
      get: (gen) => ({ ms: gen.#ms, seq: gen.#seq }),
      set: (gen, ms, seq) => {
        gen.#ms = ms;
        gen.#seq = seq;
      },
    };
  }
  /** The timestamp of the last UUID (ms). */
  #ms = Number.NEGATIVE_INFINITY;
  /** The counter of the last UUID. */
  #seq = 0;
  /** `tttttttt-tttt-` for `ms`. */
  #prefix = '';
  readonly #clock: () => number;

  constructor(options: V7GeneratorOptions = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  /** The next UUID as a string. */
  next(): string {
    this.advance();
    const seq = this.#seq;
    const at = pool.take(6) - 10; // random bytes at at+10 .. at+15
    const r = pool.bytes;
    return (this.#prefix +
      H[0x70 | (seq >>> 28)] +
      H[(seq >>> 20) & 0xff] +
      '-' +
      H[0x80 | ((seq >>> 14) & 0x3f)] +
      H[(seq >>> 6) & 0xff] +
      '-' +
      H[((seq << 2) & 0xff) | ((r[at + 10] as number) & 0x03)] +
      H[r[at + 11] as number] +
      H[r[at + 12] as number] +
      H[r[at + 13] as number] +
      H[r[at + 14] as number] +
      H[r[at + 15] as number]) as string;
  }

  /** The next UUID written into `buf` at `offset`. */
  nextBytes(buf: Uint8Array = new Uint8Array(16), offset = 0): Uint8Array {
    if (!(offset >= 0 && offset + 16 <= buf.length)) {
      throw new RangeError(`UUID byte range ${offset}:${offset + 15} is out of buffer bounds`);
    }
    this.advance();
    return writeV7(this.#ms, this.#seq, pool.bytes, pool.take(6) - 10, buf, offset);
  }

  /** Moves to the next (timestamp, counter). */
  advance(): void {
    const now = Math.floor(this.#clock()); // a fractional clock must not reseed within one millisecond
    if (now > this.#ms) {
      this.#setMs(now);
    } else if (this.#seq >= 0xffffffff) {
      this.#setMs(this.#ms + 1);
    } else {
      this.#seq++;
    }
  }

  #setMs(ms: number): void {
    this.#ms = ms;
    this.#seq = seedCounter();
    const hi = Math.floor(ms / 0x100000000); // the top 16 of the 48 bits
    const lo = ms >>> 0;
    this.#prefix = `${H[(hi >>> 8) & 0xff]}${H[hi & 0xff]}${H[lo >>> 24]}${H[(lo >>> 16) & 0xff]}-${H[(lo >>> 8) & 0xff]}${H[lo & 0xff]}-`;
  }
}

const shared = /* @__PURE__ */ new V7Generator();

/** Writes a v7 UUID with the given fields; random bytes from `rnds` (indices 10-15 used, like `uuid`). */
export function writeV7(
  ms: number,
  seq: number,
  rnds: Uint8Array,
  rOff: number,
  buf: Uint8Array,
  at: number,
): Uint8Array {
  const hi = Math.floor(ms / 0x100000000);
  const lo = ms >>> 0;
  buf[at] = (hi >>> 8) & 0xff;
  buf[at + 1] = hi & 0xff;
  buf[at + 2] = lo >>> 24;
  buf[at + 3] = (lo >>> 16) & 0xff;
  buf[at + 4] = (lo >>> 8) & 0xff;
  buf[at + 5] = lo & 0xff;
  buf[at + 6] = 0x70 | ((seq >>> 28) & 0x0f);
  buf[at + 7] = (seq >>> 20) & 0xff;
  buf[at + 8] = 0x80 | ((seq >>> 14) & 0x3f);
  buf[at + 9] = (seq >>> 6) & 0xff;
  buf[at + 10] = ((seq << 2) & 0xff) | ((rnds[rOff + 10] as number) & 0x03);
  for (let i = 11; i < 16; i++) buf[at + i] = rnds[rOff + i] as number;
  return buf;
}

/**
 * A time-ordered (version 7) UUID, strictly increasing within the process (see the README for the method).
 * With options, the given fields are used as they are (as the `uuid` package does) and the process state is
 * left alone.
 * @example
 * import { v7 } from '@suite/uuid';
 * const a = v7();
 * const b = v7();
 * a < b; // true, always
 */
export function v7(options?: Version7Options, buf?: undefined, offset?: number): string;
export function v7<TBuf extends Uint8Array>(
  options: Version7Options | undefined,
  buf: TBuf,
  offset?: number,
): TBuf;
export function v7<TBuf extends Uint8Array>(
  options?: Version7Options,
  buf?: TBuf,
  offset?: number,
): string | TBuf {
  if (hasOptions(options)) {
    const opts = options as Version7Options;
    const rnds = opts.random ?? opts.rng?.() ?? pool.bytes.slice(pool.take(16)).subarray(0, 16);
    if (rnds.length < 16) throw new Error('Random bytes length must be >= 16');
    const seq =
      opts.seq ??
      (((rnds[6] as number) & 0x7f) << 24) |
        ((rnds[7] as number) << 16) |
        ((rnds[8] as number) << 8) |
        (rnds[9] as number);
    const bytes = writeV7(opts.msecs ?? Date.now(), seq, rnds, 0, new Uint8Array(16), 0);
    return output(bytes, 0, buf, offset);
  }
  if (buf === undefined) return shared.next();
  return shared.nextBytes(buf, offset ?? 0) as TBuf;
}
