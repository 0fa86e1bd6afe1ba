import { hexOf } from './hex.js';

/** The per-step constants of MD5 (RFC 1321): floor(|sin(i + 1)| * 2^32). */
const K = /* @__PURE__ */ Int32Array.from(
  { length: 64 },
  (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0,
);
const S = /* @__PURE__ */ Uint8Array.of(7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21);
const INITIAL = /* @__PURE__ */ Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);

/** One MD5 compression: folds the 16 little-endian words `x` of a block into `state` (4 words). */
function compress(state: Int32Array, x: Int32Array): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const s = S[((i >> 4) << 2) | (i & 3)]!;
    const t = (a + f + K[i]! + x[g]!) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/** The state's 16 bytes (the digest), little-endian words, into `out`. */
function digestInto(state: Int32Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < 4; i++) {
    const w = state[i]!;
    out[i * 4] = w & 0xff;
    out[i * 4 + 1] = (w >>> 8) & 0xff;
    out[i * 4 + 2] = (w >>> 16) & 0xff;
    out[i * 4 + 3] = w >>> 24;
  }
  return out;
}

const oneShotState = /* @__PURE__ */ new Int32Array(4);
const oneShotWords = /* @__PURE__ */ new Int32Array(16);

/**
 * MD5 (RFC 1321) of `data` in one call, into the 16 bytes of `out` (no allocation: what UUID v3 needs).
 * @example
 * md5(new TextEncoder().encode('abc'), new Uint8Array(16)); // 90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 7f 72
 */
export function md5(data: Uint8Array, out: Uint8Array): Uint8Array {
  const len = data.length;
  const blocks = ((len + 8) >>> 6) + 1;
  const st = oneShotState;
  const M = oneShotWords;
  st.set(INITIAL);
  for (let blk = 0; blk < blocks; blk++) {
    const base = blk << 6;
    for (let i = 0; i < 16; i++) {
      let word = 0;
      for (let j = 3; j >= 0; j--) {
        const at = base + i * 4 + j;
        const byte = at < len ? data[at]! : at === len ? 0x80 : 0;
        word = (word << 8) | byte;
      }
      M[i] = word;
    }
    if (blk === blocks - 1) {
      // The message length in bits, little-endian, in the last 8 bytes.
      M[14] = (len * 8) | 0;
      M[15] = Math.floor((len * 8) / 0x100000000);
    }
    compress(st, M);
  }
  return digestInto(st, out);
}

/**
 * A running MD5 digest: what ctm(5) uses for every per-file checksum and for the whole delta.
 * The core ships a portable implementation; the Node adapter passes `node:crypto`'s, which is faster.
 */
export interface Md5 {
  /** Adds bytes to the digest. */
  update(bytes: Uint8Array): void;
  /** The digest as 32 lower-case hex digits; the hash cannot be used afterwards. */
  hex(): string;
}

/**
 * Makes a fresh {@link Md5}.
 * @example
 * const md5 = portableMd5(); md5.update(new TextEncoder().encode('abc')); md5.hex(); // '900150983cd24fb0d6963f7d28e17f72'
 */
export type Md5Factory = () => Md5;

class PortableMd5 implements Md5 {
  #state = Int32Array.from(INITIAL);
  #block = new Uint8Array(64);
  #words = new Int32Array(16);
  #fill = 0;
  #length = 0;

  update(bytes: Uint8Array): void {
    this.#length += bytes.length;
    let i = 0;
    if (this.#fill > 0) {
      const take = Math.min(64 - this.#fill, bytes.length);
      this.#block.set(bytes.subarray(0, take), this.#fill);
      this.#fill += take;
      i = take;
      if (this.#fill < 64) return;
      this.#compress(this.#block, 0);
      this.#fill = 0;
    }
    for (; i + 64 <= bytes.length; i += 64) this.#compress(bytes, i);
    if (i < bytes.length) {
      this.#block.set(bytes.subarray(i), 0);
      this.#fill = bytes.length - i;
    }
  }

  hex(): string {
    const bits = this.#length * 8;
    const pad = new Uint8Array((this.#fill < 56 ? 56 : 120) - this.#fill + 8);
    pad[0] = 0x80;
    const n = pad.length;
    for (let b = 0; b < 8; b++) pad[n - 8 + b] = Math.floor(bits / 2 ** (8 * b)) & 0xff;
    this.update(pad);
    return hexOf(digestInto(this.#state, new Uint8Array(16)));
  }

  #compress(bytes: Uint8Array, at: number): void {
    const x = this.#words;
    for (let j = 0; j < 16; j++) {
      const p = at + j * 4;
      x[j] = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    }
    compress(this.#state, x);
  }
}

/**
 * The portable MD5 of the core (no platform crypto needed).
 * @example
 * const md5 = portableMd5();
 * md5.update(new TextEncoder().encode('abc'));
 * md5.hex(); // '900150983cd24fb0d6963f7d28e17f72'
 */
export const portableMd5: Md5Factory = () => new PortableMd5();

/**
 * The MD5 of `bytes` in one call, as hex.
 * @example
 * md5Hex(new TextEncoder().encode('abc')); // '900150983cd24fb0d6963f7d28e17f72'
 */
export function md5Hex(bytes: Uint8Array, md5: Md5Factory = portableMd5): string {
  const h = md5();
  h.update(bytes);
  return h.hex();
}
