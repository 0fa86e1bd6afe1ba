import { BYTE_TO_HEX as H } from './_hex.js';
import { output } from './_output.js';
import { pool } from './_random.js';
import type { Version4Options } from './types.js';

/**
 * A random (version 4) UUID. The random bytes come from a pool filled by one getRandomValues call per 256 UUIDs.
 * @example
 * import { v4 } from '@suite/uuid';
 * v4(); // '919108f7-52d1-4320-9bac-f847db4148a8'
 * v4(undefined, new Uint8Array(32), 16); // written into bytes 16-31
 */
export function v4(options?: Version4Options, buf?: undefined, offset?: number): string;
export function v4<TBuf extends Uint8Array>(
  options: Version4Options | undefined,
  buf: TBuf,
  offset?: number,
): TBuf;
export function v4<TBuf extends Uint8Array>(
  options?: Version4Options,
  buf?: TBuf,
  offset?: number,
): string | TBuf {
  let src: Uint8Array;
  let at = 0;
  if (options?.random !== undefined || options?.rng !== undefined) {
    src = (options.random ?? options.rng?.()) as Uint8Array;
    if (src.length < 16) throw new Error('Random bytes length must be >= 16');
    src = src.slice(0, 16);
  } else {
    src = pool.bytes;
    at = pool.take(16);
    if (buf === undefined) {
      // The hot path: format straight from the pool.
      return (H[src[at] as number]! +
        H[src[at + 1] as number] +
        H[src[at + 2] as number] +
        H[src[at + 3] as number] +
        '-' +
        H[src[at + 4] as number] +
        H[src[at + 5] as number] +
        '-' +
        H[0x40 | ((src[at + 6] as number) & 0x0f)] +
        H[src[at + 7] as number] +
        '-' +
        H[0x80 | ((src[at + 8] as number) & 0x3f)] +
        H[src[at + 9] as number] +
        '-' +
        H[src[at + 10] as number] +
        H[src[at + 11] as number] +
        H[src[at + 12] as number] +
        H[src[at + 13] as number] +
        H[src[at + 14] as number] +
        H[src[at + 15] as number]) as string;
    }
  }
  src[at + 6] = 0x40 | ((src[at + 6] as number) & 0x0f);
  src[at + 8] = 0x80 | ((src[at + 8] as number) & 0x3f);
  return output(src, at, buf, offset);
}
