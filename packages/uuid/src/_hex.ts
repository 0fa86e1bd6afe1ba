// The hex tables live in @suite/internal (bundled into this package).
export { BYTE_TO_HEX, HEX_VALUE } from '@suite/internal';

/** Where the 16 bytes of a UUID start in its 36-character string form. */
export const BYTE_POSITIONS: readonly number[] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
