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

const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

class PortableMd5 implements Md5 {
  #state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
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
    let out = '';
    for (const word of this.#state) {
      for (let b = 0; b < 4; b++) out += ((word >>> (8 * b)) & 0xff).toString(16).padStart(2, '0');
    }
    return out;
  }

  #compress(bytes: Uint8Array, at: number): void {
    const x = this.#words;
    for (let j = 0; j < 16; j++) {
      const p = at + j * 4;
      x[j] = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    }
    const st = this.#state;
    let a = st[0]!;
    let b = st[1]!;
    let c = st[2]!;
    let d = st[3]!;
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
      const s = S[(i >> 4) * 4 + (i & 3)]!;
      const t = (a + f + K[i]! + x[g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    st[0] = (st[0]! + a) | 0;
    st[1] = (st[1]! + b) | 0;
    st[2] = (st[2]! + c) | 0;
    st[3] = (st[3]! + d) | 0;
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

/** The MD5 of `bytes` in one call. */
export function md5Hex(bytes: Uint8Array, md5: Md5Factory = portableMd5): string {
  const h = md5();
  h.update(bytes);
  return h.hex();
}
