import { BYTE_TO_HEX as H } from './_hex.js';

/**
 * Formats 16 bytes at `offset` as a lowercase UUID string without checking version and variant (the fast way to
 * show bytes from `bulk` or a buffer).
 * @example
 * import { bulk, unsafeStringify } from '@suite/uuid';
 * unsafeStringify(bulk(4, 2), 16); // the second UUID
 */
export function unsafeStringify(b: Uint8Array, offset = 0): string {
  return (H[b[offset] as number]! +
    H[b[offset + 1] as number] +
    H[b[offset + 2] as number] +
    H[b[offset + 3] as number] +
    '-' +
    H[b[offset + 4] as number] +
    H[b[offset + 5] as number] +
    '-' +
    H[b[offset + 6] as number] +
    H[b[offset + 7] as number] +
    '-' +
    H[b[offset + 8] as number] +
    H[b[offset + 9] as number] +
    '-' +
    H[b[offset + 10] as number] +
    H[b[offset + 11] as number] +
    H[b[offset + 12] as number] +
    H[b[offset + 13] as number] +
    H[b[offset + 14] as number] +
    H[b[offset + 15] as number]) as string;
}

/** Whether 16 bytes form a UUID that `validate` accepts: version 1-8 with the RFC variant, nil or max. */
export function isValidBytes(b: Uint8Array | ArrayLike<number>, offset = 0): boolean {
  const version = (b[offset + 6] as number) >> 4;
  if (version >= 1 && version <= 8 && ((b[offset + 8] as number) & 0xc0) === 0x80) return true;
  const first = b[offset];
  if (first !== 0 && first !== 0xff) return false;
  for (let i = 1; i < 16; i++) if (b[offset + i] !== first) return false;
  return true;
}

/**
 * Formats 16 bytes as a UUID string; throws a TypeError (as the `uuid` package does) if they are not a valid UUID.
 * @example
 * import { parse, stringify } from '@suite/uuid';
 * stringify(parse('919108F7-52D1-4320-9BAC-F847DB4148A8')); // '919108f7-52d1-4320-9bac-f847db4148a8'
 */
export function stringify(arr: Uint8Array, offset = 0): string {
  if (!(offset >= 0 && offset + 16 <= arr.length) || !isValidBytes(arr, offset)) {
    throw new TypeError('Stringified UUID is invalid');
  }
  return unsafeStringify(arr, offset);
}

/**
 * Formats 16 bytes at `offset` as an UPPERCASE UUID string, whatever their version and variant (libuuid's
 * `uuid_unparse_upper`; `unsafeStringify` is its `uuid_unparse_lower`).
 * @example
 * import { parse, unparseUpper } from '@suite/uuid';
 * unparseUpper(parse('919108f7-52d1-4320-9bac-f847db4148a8')); // '919108F7-52D1-4320-9BAC-F847DB4148A8'
 */
export function unparseUpper(b: Uint8Array, offset = 0): string {
  return unsafeStringify(b, offset).toUpperCase();
}
