/**
 * The pieces' 16-bit checksum, continued over `bytes` from `sum` (start with 0xffff): for each byte the sum is
 * rotated left by one bit, then the byte is added.
 * @example
 * pieceChecksum(new TextEncoder().encode('abc')); // the sum printed on the piece's `CTM_MAIL END` line
 */
export function pieceChecksum(bytes: Uint8Array, sum = 0xffff, start = 0, end = bytes.length): number {
  let s = sum;
  for (let i = start; i < end; i++) {
    s = (((s << 1) | (s >>> 15)) + bytes[i]!) & 0xffff;
  }
  return s;
}
