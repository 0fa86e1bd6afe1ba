const W = /* @__PURE__ */ new Int32Array(80);

/** SHA-1 (FIPS 180-4) of `data`; the first 16 bytes of the digest go into `out`. Enough for name-based UUIDs. */
export function sha1(data: Uint8Array, out: Uint8Array): Uint8Array {
  const len = data.length;
  const blocks = ((len + 8) >>> 6) + 1;
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let blk = 0; blk < blocks; blk++) {
    const base = blk << 6;
    for (let i = 0; i < 16; i++) {
      let word = 0;
      for (let j = 0; j < 4; j++) {
        const at = base + i * 4 + j;
        const byte = at < len ? (data[at] as number) : at === len ? 0x80 : 0;
        word = (word << 8) | byte;
      }
      W[i] = word;
    }
    if (blk === blocks - 1) {
      // The message length in bits, big-endian, in the last 8 bytes (lengths below 2^32 bits).
      W[14] = Math.floor((len * 8) / 0x100000000);
      W[15] = (len * 8) | 0;
    }
    for (let i = 16; i < 80; i++) {
      const x = (W[i - 3] as number) ^ (W[i - 8] as number) ^ (W[i - 14] as number) ^ (W[i - 16] as number);
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + (W[i] as number)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const words = [h0, h1, h2, h3];
  for (let i = 0; i < 4; i++) {
    const w = words[i] as number;
    out[i * 4] = w >>> 24;
    out[i * 4 + 1] = (w >>> 16) & 0xff;
    out[i * 4 + 2] = (w >>> 8) & 0xff;
    out[i * 4 + 3] = w & 0xff;
  }
  return out;
}
