/**
 * Bytes `start..end` as a byte string: one character per byte (Node's `latin1`), never decoded as UTF-8, so that
 * names that are not UTF-8 keep their bytes.
 * @example
 * latin1String(Uint8Array.of(0x61, 0xe9)); // 'a\xe9'
 */
export function latin1String(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096)));
  }
  return s;
}

/**
 * A byte string's bytes: each character's code, modulo 256 (the inverse of {@link latin1String}).
 * @example
 * latin1Bytes('a\xe9'); // Uint8Array [0x61, 0xe9]
 */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
