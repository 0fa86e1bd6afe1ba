import { output } from './_output.js';
import { pool } from './_random.js';

/**
 * A custom (version 8) UUID (RFC 9562 §5.8): your 16 bytes with the version and variant bits set over them
 * (122 bits of yours survive). Without data, random bytes.
 * @example
 * import { v8 } from '@suite/uuid';
 * v8(new Uint8Array(16).fill(0xff)); // 'ffffffff-ffff-8fff-bfff-ffffffffffff'
 */
export function v8(data?: Uint8Array, buf?: undefined, offset?: number): string;
export function v8<TBuf extends Uint8Array>(data: Uint8Array | undefined, buf: TBuf, offset?: number): TBuf;
export function v8<TBuf extends Uint8Array>(data?: Uint8Array, buf?: TBuf, offset?: number): string | TBuf {
  let b: Uint8Array;
  if (data === undefined) {
    const at = pool.take(16);
    b = pool.bytes.slice(at, at + 16);
  } else {
    if (data.length < 16) throw new TypeError('v8 custom data must be 16 bytes');
    b = data.slice(0, 16);
  }
  b[6] = 0x80 | ((b[6] as number) & 0x0f);
  b[8] = 0x80 | ((b[8] as number) & 0x3f);
  return output(b, 0, buf, offset);
}
