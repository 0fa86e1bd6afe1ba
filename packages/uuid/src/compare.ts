import { HEX_VALUE } from './_hex.js';
import type { UuidInput } from './types.js';
import { hasUuidShape } from './validate.js';

function nibbleAt(u: UuidInput, i: number): number {
  if (typeof u === 'string')
    return HEX_VALUE[
      u.charCodeAt(i < 8 ? i : i < 12 ? i + 1 : i < 16 ? i + 2 : i < 20 ? i + 3 : i + 4)
    ] as number;
  const byte = u[i >> 1] as number;
  return i & 1 ? byte & 0x0f : byte >> 4;
}

function check(u: UuidInput): void {
  if (typeof u === 'string' ? !hasUuidShape(u) : u.length < 16) throw new TypeError('Invalid UUID');
}

/**
 * Orders two UUIDs (strings of either case, or bytes) as 128-bit unsigned numbers: -1, 0 or 1. Sorting v6 and
 * v7 UUIDs with it sorts them by time. Throws a TypeError for anything not of the UUID shape.
 * @example
 * import { compare } from '@suite/uuid';
 * ['017f22e2-79b0-7cc3-98c4-dc0c0c07398f', '00000000-0000-0000-0000-000000000000'].sort(compare);
 */
export function compare(a: UuidInput, b: UuidInput): -1 | 0 | 1 {
  check(a);
  check(b);
  for (let i = 0; i < 32; i++) {
    const x = nibbleAt(a, i);
    const y = nibbleAt(b, i);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
