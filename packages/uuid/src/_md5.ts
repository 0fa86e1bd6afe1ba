/** The per-step constants of MD5 (RFC 1321): floor(|sin(i + 1)| * 2^32). */
const K = /* @__PURE__ */ Int32Array.from(
  { length: 64 },
  (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0,
);
const S = /* @__PURE__ */ Uint8Array.of(7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21);
const M = /* @__PURE__ */ new Int32Array(16);

/** MD5 (RFC 1321) of `data` into the 16 bytes of `out`. */
export function md5(data: Uint8Array, out: Uint8Array): Uint8Array {
  const len = data.length;
  const blocks = ((len + 8) >>> 6) + 1;
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  for (let blk = 0; blk < blocks; blk++) {
    const base = blk << 6;
    for (let i = 0; i < 16; i++) {
      let word = 0;
      for (let j = 3; j >= 0; j--) {
        const at = base + i * 4 + j;
        const byte = at < len ? (data[at] as number) : at === len ? 0x80 : 0;
        word = (word << 8) | byte;
      }
      M[i] = word;
    }
    if (blk === blocks - 1) {
      // The message length in bits, little-endian, in the last 8 bytes.
      M[14] = (len * 8) | 0;
      M[15] = Math.floor((len * 8) / 0x100000000);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
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
      const s = S[((i >> 4) << 2) | (i & 3)] as number;
      const x = (a + f + (K[i] as number) + (M[g] as number)) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
  }
  const words = [h0, h1, h2, h3];
  for (let i = 0; i < 4; i++) {
    const w = words[i] as number;
    out[i * 4] = w & 0xff;
    out[i * 4 + 1] = (w >>> 8) & 0xff;
    out[i * 4 + 2] = (w >>> 16) & 0xff;
    out[i * 4 + 3] = w >>> 24;
  }
  return out;
}
