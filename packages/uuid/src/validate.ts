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

// V8's regex engine beats a char-code loop here.
const UUID_PATTERN =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;

/**
 * Whether `value` is a UUID string as the `uuid` package accepts it: the 8-4-4-4-12 hex form (either case) with
 * version 1-8 and the RFC 9562 variant, or the nil or max UUID. Braces, `urn:uuid:` and missing hyphens are refused.
 * @example
 * import { validate } from '@suite/uuid';
 * validate('919108f7-52d1-4320-9bac-f847db4148a8'); // true
 * validate('{919108f7-52d1-4320-9bac-f847db4148a8}'); // false
 */
export function validate(value: unknown): boolean {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/**
 * The opt-in branded type: whether `value` is a UUID string that `validate` accepts, as a type guard that narrows
 * it to {@link Uuid}. The generators return plain `string`s, as the `uuid` package's do.
 * @example
 * import { isUuid, type Uuid } from '@suite/uuid';
 * const input: unknown = '919108f7-52d1-4320-9bac-f847db4148a8';
 * if (isUuid(input)) { const checked: Uuid = input; }
 */
export function isUuid(value: unknown): value is Uuid {
  return validate(value);
}
