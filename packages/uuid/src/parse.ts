import { BYTE_POSITIONS, HEX_VALUE } from './_hex.js';
import { hasUuidShape, validate } from './validate.js';

/** Decodes a string of the 8-4-4-4-12 shape (already checked) into `out` at `offset`. */
export function decodeInto(s: string, out: Uint8Array, offset = 0): Uint8Array {
  for (let i = 0; i < 16; i++) {
    const at = BYTE_POSITIONS[i] as number;
    out[offset + i] =
      ((HEX_VALUE[s.charCodeAt(at)] as number) << 4) | (HEX_VALUE[s.charCodeAt(at + 1)] as number);
  }
  return out;
}

/**
 * The 16 bytes of a UUID string; throws a TypeError('Invalid UUID') for anything `validate` refuses.
 * @example
 * import { parse } from '@suite/uuid';
 * parse('6ba7b810-9dad-11d1-80b4-00c04fd430c8')[0]; // 0x6b
 */
export function parse(uuid: string): Uint8Array {
  if (!validate(uuid)) throw new TypeError('Invalid UUID');
  return decodeInto(uuid, new Uint8Array(16));
}

/**
 * The 16 bytes of any string of the 8-4-4-4-12 hex shape, whatever its version and variant (libuuid's
 * `uuid_parse`), or undefined. Braces and `urn:uuid:` are refused, as libuuid does.
 * @example
 * import { parseAny } from '@suite/uuid';
 * parseAny('12345678-1234-0234-0234-123456789012'); // Uint8Array(16), though version 0 is not valid
 * parseAny('{12345678-1234-0234-0234-123456789012}'); // undefined
 */
export function parseAny(uuid: string): Uint8Array | undefined {
  return hasUuidShape(uuid) ? decodeInto(uuid, new Uint8Array(16)) : undefined;
}
