/**
 * The nil UUID (all bits zero), RFC 9562 §5.9.
 * @example
 * import { NIL } from '@suite/uuid';
 * NIL; // '00000000-0000-0000-0000-000000000000'
 */
export const NIL = '00000000-0000-0000-0000-000000000000';

/**
 * The max UUID (all bits one), RFC 9562 §5.10.
 * @example
 * import { MAX } from '@suite/uuid';
 * MAX; // 'ffffffff-ffff-ffff-ffff-ffffffffffff'
 */
export const MAX = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

export * from './uuidd-protocol.js';
