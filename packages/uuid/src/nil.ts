import type { UuidInput } from './types.js';

/**
 * Whether `uuid` is the nil UUID (all 128 bits zero), as libuuid's `uuid_is_null` answers it: a string of the
 * 8-4-4-4-12 form (either case) or 16 bytes. Any other string is not nil (false).
 * @example
 * import { isNil, NIL } from '@suite/uuid';
 * isNil(NIL); // true
 * isNil(new Uint8Array(16)); // true
 * isNil('919108f7-52d1-4320-9bac-f847db4148a8'); // false
 */
export function isNil(uuid: UuidInput): boolean {
  if (typeof uuid === 'string') {
    if (uuid.length !== 36) return false;
    for (let i = 0; i < 36; i++) {
      const hyphen = i === 8 || i === 13 || i === 18 || i === 23;
      if (uuid.charCodeAt(i) !== (hyphen ? 0x2d : 0x30)) return false;
    }
    return true;
  }
  if (uuid.length < 16) return false;
  for (let i = 0; i < 16; i++) if (uuid[i] !== 0) return false;
  return true;
}
