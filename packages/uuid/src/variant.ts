import { HEX_VALUE } from './_hex.js';
import type { UuidInput } from './types.js';
import { hasUuidShape } from './validate.js';

/** The variant field of a UUID (RFC 9562 §4.1), named as util-linux's uuidparse names it. */
export type UuidVariant = 'NCS' | 'DCE' | 'Microsoft' | 'other';

/**
 * The variant of any UUID of the 8-4-4-4-12 shape (or 16 bytes): 'DCE' is the RFC 9562 variant (10x), 'NCS'
 * (0xx, also the nil UUID), 'Microsoft' (110) or 'other' (111, also the max UUID). Throws a TypeError otherwise.
 * @example
 * import { variant } from '@suite/uuid';
 * variant('919108f7-52d1-4320-9bac-f847db4148a8'); // 'DCE'
 */
export function variant(uuid: UuidInput): UuidVariant {
  let byte: number;
  if (typeof uuid === 'string') {
    if (!hasUuidShape(uuid)) throw new TypeError('Invalid UUID');
    byte = (HEX_VALUE[uuid.charCodeAt(19)] as number) << 4;
  } else {
    if (uuid.length < 16) throw new TypeError('Invalid UUID');
    byte = uuid[8] as number;
  }
  if ((byte & 0x80) === 0) return 'NCS';
  if ((byte & 0x40) === 0) return 'DCE';
  if ((byte & 0x20) === 0) return 'Microsoft';
  return 'other';
}
