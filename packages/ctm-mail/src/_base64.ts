// The pieces' encoding: the standard base64 alphabet, no `=` padding, 54 bytes (72 characters) a line.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encoded character codes by 6-bit value. */
const TO_CODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** 6-bit values by character code; 0xff for anything outside the alphabet. */
export const FROM_CODE = (() => {
  const table = new Uint8Array(256).fill(0xff);
  for (let i = 0; i < 64; i++) table[TO_CODE[i]!] = i;
  return table;
})();

/** Input bytes on one encoded line. */
export const LINE_BYTES = 54;
/** Characters on a full encoded line. */
export const LINE_CHARS = 72;

/** The encoded size, newlines included, of `n` input bytes. */
export function encodedLength(n: number): number {
  const full = Math.floor(n / LINE_BYTES);
  const rest = n % LINE_BYTES;
  return full * (LINE_CHARS + 1) + (rest === 0 ? 0 : Math.ceil((rest * 4) / 3) + 1);
}

/** Pairs of encoded characters by 12-bit value: the first and the second character. */
const PAIR_HI = Uint8Array.from({ length: 4096 }, (_, i) => TO_CODE[i >>> 6]!);
const PAIR_LO = Uint8Array.from({ length: 4096 }, (_, i) => TO_CODE[i & 63]!);

/**
 * Encodes `input[start, end)` into `out` at `at` as lines of 72 characters, each ending in a newline (the last
 * one shorter when the range is not a multiple of 54); unused low bits of a last character are zero. Continues the
 * piece checksum `sum` over the same bytes (one pass over the data) and returns it; the bytes written are
 * `encodedLength(end - start)`.
 */
export function encodeLines(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
  sum: number,
): number {
  const hi = PAIR_HI;
  const lo = PAIR_LO;
  let s = sum;
  let i = start;
  let o = at;
  while (i < end) {
    const lineEnd = Math.min(i + LINE_BYTES, end);
    while (lineEnd - i >= 3) {
      const a = input[i]!;
      const b = input[i + 1]!;
      const c = input[i + 2]!;
      s = (((s << 1) | (s >>> 15)) + a) & 0xffff;
      s = (((s << 1) | (s >>> 15)) + b) & 0xffff;
      s = (((s << 1) | (s >>> 15)) + c) & 0xffff;
      const x = (a << 4) | (b >>> 4);
      const y = ((b & 15) << 8) | c;
      out[o] = hi[x]!;
      out[o + 1] = lo[x]!;
      out[o + 2] = hi[y]!;
      out[o + 3] = lo[y]!;
      i += 3;
      o += 4;
    }
    const left = lineEnd - i;
    if (left > 0) {
      const a = input[i]!;
      s = (((s << 1) | (s >>> 15)) + a) & 0xffff;
      const b = left === 2 ? input[i + 1]! : 0;
      if (left === 2) s = (((s << 1) | (s >>> 15)) + b) & 0xffff;
      out[o++] = TO_CODE[a >>> 2]!;
      out[o++] = TO_CODE[((a << 4) & 0x30) | (b >>> 4)]!;
      if (left === 2) out[o++] = TO_CODE[(b << 2) & 0x3c]!;
      i = lineEnd;
    }
    out[o++] = 10;
  }
  return s;
}

/**
 * Decodes one data line `line[start, end)` (trailing white space already removed) into `out` at `at`, as the
 * original does: runs of alphabet characters, 4 characters to 3 bytes, a last group of 2 or 3 characters giving 1
 * or 2 bytes. Returns the number of bytes written, or `-1 - i` when the character at index `i` of the line is
 * not in the alphabet (a line that decodes to nothing reports its first character).
 */
export function decodeLine(
  line: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): number {
  const f = FROM_CODE;
  let i = start;
  let o = at;
  while (end - i >= 4) {
    const a = f[line[i]!]!;
    const b = f[line[i + 1]!]!;
    const c = f[line[i + 2]!]!;
    const d = f[line[i + 3]!]!;
    if ((a | b | c | d) > 63) break;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = bits >>> 16;
    out[o + 1] = (bits >>> 8) & 0xff;
    out[o + 2] = bits & 0xff;
    i += 4;
    o += 3;
  }
  // The tail: a partial group, or the group holding a bad character.
  let group = 0;
  let bits = 0;
  while (i < end) {
    const v = f[line[i]!]!;
    if (v > 63) break;
    bits = (bits << 6) | v;
    group++;
    i++;
    if (group === 4) {
      out[o++] = (bits >>> 16) & 0xff;
      out[o++] = (bits >>> 8) & 0xff;
      out[o++] = bits & 0xff;
      group = 0;
      bits = 0;
    }
  }
  if (group >= 2) out[o++] = (bits >>> ((group - 2) * 6 + 4)) & 0xff;
  if (group === 3) out[o++] = (bits >>> 2) & 0xff;
  if (i < end) return -1 - (i - start);
  if (o === at) return -1;
  return o - at;
}
