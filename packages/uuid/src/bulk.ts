import { randomFill } from './_random.js';
import { sharedTimeGenerator } from './clock-sequence.js';
import { v7 } from './v7.js';

/** The versions `bulk` generates. */
export type BulkVersion = 1 | 4 | 6 | 7;

/**
 * `count` new UUIDs of one version as bytes, one after another in one buffer (16 bytes each): the fast way to
 * make many. v1/v6/v7 come in generation order from the same state as `v1()`, `v6()` and `v7()`; v4 takes its
 * randomness in large blocks.
 * @example
 * import { bulk, unsafeStringify } from '@suite/uuid';
 * const ids = bulk(7, 1000); // Uint8Array(16000)
 * unsafeStringify(ids, 16 * 999); // the last one
 */
export function bulk(version: BulkVersion, count: number, buf?: Uint8Array, offset = 0): Uint8Array {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be a non-negative integer: ${count}`);
  const out = buf ?? new Uint8Array(16 * count);
  if (!(offset >= 0 && offset + 16 * count <= out.length)) {
    throw new RangeError(`${count} UUIDs do not fit in the buffer at offset ${offset}`);
  }
  switch (version) {
    case 4: {
      // The random bytes go straight into the output.
      const end = offset + 16 * count;
      randomFill(out.subarray(offset, end));
      for (let at = offset; at < end; at += 16) {
        out[at + 6] = 0x40 | ((out[at + 6] as number) & 0x0f);
        out[at + 8] = 0x80 | ((out[at + 8] as number) & 0x3f);
      }
      return out;
    }
    case 1:
      for (let i = 0; i < count; i++) sharedTimeGenerator.next(out, offset + 16 * i);
      return out;
    case 6:
      for (let i = 0; i < count; i++) sharedTimeGenerator.nextV6(out, offset + 16 * i);
      return out;
    case 7:
      for (let i = 0; i < count; i++) v7(undefined, out, offset + 16 * i);
      return out;
    default:
      throw new RangeError(`bulk generates versions 1, 4, 6 and 7, not ${String(version)}`);
  }
}
