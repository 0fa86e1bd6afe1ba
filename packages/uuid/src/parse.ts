import { HEX_VALUE } from './_hex.js';
import { isValidBytes } from './stringify.js';
import type { Bytes } from './types.js';

/** The value of a hex digit by char code, 0x100 for any other char code below 128. */
const NIBBLE: Uint16Array = /* @__PURE__ */ (() => {
  const t = new Uint16Array(128).fill(0x100);
  for (let c = 0; c < 128; c++) if (HEX_VALUE[c] !== 0xff) t[c] = HEX_VALUE[c] as number;
  return t;
})();

/**
 * Decodes a string of the 8-4-4-4-12 hex shape into `out` at `offset`; returns false (out half written) if it
 * is not of that shape. One pass over the char codes, table lookups, no regex, no substrings.
 */
export function decodeInto(s: string, out: Uint8Array, offset = 0): boolean {
  if (
    s.length !== 36 ||
    s.charCodeAt(8) !== 0x2d ||
    s.charCodeAt(13) !== 0x2d ||
    s.charCodeAt(18) !== 0x2d ||
    s.charCodeAt(23) !== 0x2d
  )
    return false;
  const t = NIBBLE;
  let bad = 0;
  const h0 = s.charCodeAt(0);
  const l0 = s.charCodeAt(1);
  const h1 = s.charCodeAt(2);
  const l1 = s.charCodeAt(3);
  const h2 = s.charCodeAt(4);
  const l2 = s.charCodeAt(5);
  const h3 = s.charCodeAt(6);
  const l3 = s.charCodeAt(7);
  const h4 = s.charCodeAt(9);
  const l4 = s.charCodeAt(10);
  const h5 = s.charCodeAt(11);
  const l5 = s.charCodeAt(12);
  const h6 = s.charCodeAt(14);
  const l6 = s.charCodeAt(15);
  const h7 = s.charCodeAt(16);
  const l7 = s.charCodeAt(17);
  const h8 = s.charCodeAt(19);
  const l8 = s.charCodeAt(20);
  const h9 = s.charCodeAt(21);
  const l9 = s.charCodeAt(22);
  const h10 = s.charCodeAt(24);
  const l10 = s.charCodeAt(25);
  const h11 = s.charCodeAt(26);
  const l11 = s.charCodeAt(27);
  const h12 = s.charCodeAt(28);
  const l12 = s.charCodeAt(29);
  const h13 = s.charCodeAt(30);
  const l13 = s.charCodeAt(31);
  const h14 = s.charCodeAt(32);
  const l14 = s.charCodeAt(33);
  const h15 = s.charCodeAt(34);
  const l15 = s.charCodeAt(35);
  const chars =
    h0 |
    l0 |
    h1 |
    l1 |
    h2 |
    l2 |
    h3 |
    l3 |
    h4 |
    l4 |
    h5 |
    l5 |
    h6 |
    l6 |
    h7 |
    l7 |
    h8 |
    l8 |
    h9 |
    l9 |
    h10 |
    l10 |
    h11 |
    l11 |
    h12 |
    l12 |
    h13 |
    l13 |
    h14 |
    l14 |
    h15 |
    l15;
  if (chars > 0x7f) return false;
  bad |= (t[h0] as number) | (t[l0] as number);
  out[offset + 0] = ((t[h0] as number) << 4) | (t[l0] as number);
  bad |= (t[h1] as number) | (t[l1] as number);
  out[offset + 1] = ((t[h1] as number) << 4) | (t[l1] as number);
  bad |= (t[h2] as number) | (t[l2] as number);
  out[offset + 2] = ((t[h2] as number) << 4) | (t[l2] as number);
  bad |= (t[h3] as number) | (t[l3] as number);
  out[offset + 3] = ((t[h3] as number) << 4) | (t[l3] as number);
  bad |= (t[h4] as number) | (t[l4] as number);
  out[offset + 4] = ((t[h4] as number) << 4) | (t[l4] as number);
  bad |= (t[h5] as number) | (t[l5] as number);
  out[offset + 5] = ((t[h5] as number) << 4) | (t[l5] as number);
  bad |= (t[h6] as number) | (t[l6] as number);
  out[offset + 6] = ((t[h6] as number) << 4) | (t[l6] as number);
  bad |= (t[h7] as number) | (t[l7] as number);
  out[offset + 7] = ((t[h7] as number) << 4) | (t[l7] as number);
  bad |= (t[h8] as number) | (t[l8] as number);
  out[offset + 8] = ((t[h8] as number) << 4) | (t[l8] as number);
  bad |= (t[h9] as number) | (t[l9] as number);
  out[offset + 9] = ((t[h9] as number) << 4) | (t[l9] as number);
  bad |= (t[h10] as number) | (t[l10] as number);
  out[offset + 10] = ((t[h10] as number) << 4) | (t[l10] as number);
  bad |= (t[h11] as number) | (t[l11] as number);
  out[offset + 11] = ((t[h11] as number) << 4) | (t[l11] as number);
  bad |= (t[h12] as number) | (t[l12] as number);
  out[offset + 12] = ((t[h12] as number) << 4) | (t[l12] as number);
  bad |= (t[h13] as number) | (t[l13] as number);
  out[offset + 13] = ((t[h13] as number) << 4) | (t[l13] as number);
  bad |= (t[h14] as number) | (t[l14] as number);
  out[offset + 14] = ((t[h14] as number) << 4) | (t[l14] as number);
  bad |= (t[h15] as number) | (t[l15] as number);
  out[offset + 15] = ((t[h15] as number) << 4) | (t[l15] as number);
  return bad < 0x100;
}

/**
 * The 16 bytes of a UUID string; throws a TypeError('Invalid UUID') for anything `validate` refuses.
 * @example
 * import { parse } from '@suite/uuid';
 * parse('6ba7b810-9dad-11d1-80b4-00c04fd430c8')[0]; // 0x6b
 */
export function parse(uuid: string): Bytes {
  const out = new Uint8Array(16);
  if (typeof uuid !== 'string' || !decodeInto(uuid, out) || !isValidBytes(out))
    throw new TypeError('Invalid UUID');
  return out;
}

/**
 * The 16 bytes of any string of the 8-4-4-4-12 hex shape, whatever its version and variant (libuuid's
 * `uuid_parse`), or undefined. Braces and `urn:uuid:` are refused, as libuuid does.
 * @example
 * import { parseAny } from '@suite/uuid';
 * parseAny('12345678-1234-0234-0234-123456789012'); // Uint8Array(16), though version 0 is not valid
 * parseAny('{12345678-1234-0234-0234-123456789012}'); // undefined
 */
export function parseAny(uuid: string): Bytes | undefined {
  const out = new Uint8Array(16);
  return decodeInto(uuid, out) ? out : undefined;
}
