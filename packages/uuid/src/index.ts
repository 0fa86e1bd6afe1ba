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

export { type BulkVersion, bulk } from './bulk.js';
export {
  type ClockSequenceState,
  type ClockSequenceStore,
  GREGORIAN_OFFSET_MS,
  TimeUuidGenerator,
  type TimeUuidGeneratorOptions,
} from './clock-sequence.js';
export { compare } from './compare.js';
export {
  NAMESPACE_DNS,
  NAMESPACE_OID,
  NAMESPACE_URL,
  NAMESPACE_X500,
  namespaceByAlias,
} from './namespace.js';
export { isNil } from './nil.js';
export { parse, parseAny } from './parse.js';
export { stringify, unparseUpper, unsafeStringify } from './stringify.js';
export { timestampMs, timestampTicks } from './timestamp.js';
export type {
  Bytes,
  NameBasedUuidFunction,
  UUIDTypes,
  Uuid,
  UuidInput,
  uuidBrand,
  Version1Options,
  Version4Options,
  Version6Options,
  Version7Options,
} from './types.js';
export { v1 } from './v1.js';
export { v1ToV6, v6ToV1 } from './v1-to-v6.js';
export { v3 } from './v3.js';
export { v4 } from './v4.js';
export { v5 } from './v5.js';
export { v6 } from './v6.js';
export { V7Generator, type V7GeneratorOptions, v7 } from './v7.js';
export { v8 } from './v8.js';
export { isUuid, validate } from './validate.js';
export { type UuidVariant, variant } from './variant.js';
export { version } from './version.js';
