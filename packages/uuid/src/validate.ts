import { HEX_VALUE } from './_hex.js';
import type { Uuid } from './types.js';

/** Whether `s` has the 8-4-4-4-12 hex shape (either case), whatever its version and variant. */
export function hasUuidShape(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (c > 0x7f || HEX_VALUE[c] === 0xff) return false;
  }
  return true;
}

/**
 * Whether `value` is a UUID string as the `uuid` package accepts it: the 8-4-4-4-12 hex form (either case) with
 * version 1-8 and the RFC 9562 variant, or the nil or max UUID. Braces, `urn:uuid:` and missing hyphens are refused.
 * @example
 * import { validate } from '@suite/uuid';
 * validate('919108f7-52d1-4320-9bac-f847db4148a8'); // true
 * validate('{919108f7-52d1-4320-9bac-f847db4148a8}'); // false
 */
export function validate(value: unknown): value is Uuid {
  if (typeof value !== 'string' || !hasUuidShape(value)) return false;
  const version = value.charCodeAt(14);
  const variant = value.charCodeAt(19) | 0x20;
  if (
    version >= 0x31 &&
    version <= 0x38 &&
    (variant === 0x38 || variant === 0x39 || variant === 0x61 || variant === 0x62)
  ) {
    return true;
  }
  const lower = value.toLowerCase();
  return lower === '00000000-0000-0000-0000-000000000000' || lower === 'ffffffff-ffff-ffff-ffff-ffffffffffff';
}
