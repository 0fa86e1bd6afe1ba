import { hasOptions, output } from './_output.js';
import { pool } from './_random.js';
import { GREGORIAN_OFFSET_MS, sharedTimeGenerator } from './clock-sequence.js';
import type { Version1Options } from './types.js';

/** Writes a v1 UUID from explicit fields, the layout of the `uuid` package's `v1(options)`. */
export function v1FromOptions(options: Version1Options): Uint8Array {
  const rnds = options.random ?? options.rng?.() ?? pool.bytes.slice(pool.take(16)).subarray(0, 16);
  if (rnds.length < 16) throw new Error('Random bytes length must be >= 16');
  const msecs = options.msecs ?? Date.now();
  const nsecs = options.nsecs ?? 0;
  const clockseq = options.clockseq ?? (((rnds[8] as number) << 8) | (rnds[9] as number)) & 0x3fff;
  let node = options.node;
  if (node === undefined) {
    node = rnds.slice(10, 16);
    node[0] = (node[0] as number) | 0x01;
  }
  const msG = msecs + GREGORIAN_OFFSET_MS;
  const a = Math.floor(msG / 0x10000000);
  const x = (msG - a * 0x10000000) * 10_000 + nsecs;
  const lo = x >>> 0;
  const hi = (a * 625 + Math.floor(x / 0x100000000)) & 0xfffffff;
  const b = new Uint8Array(16);
  b[0] = lo >>> 24;
  b[1] = (lo >>> 16) & 0xff;
  b[2] = (lo >>> 8) & 0xff;
  b[3] = lo & 0xff;
  b[4] = (hi >>> 8) & 0xff;
  b[5] = hi & 0xff;
  b[6] = 0x10 | ((hi >>> 24) & 0x0f);
  b[7] = (hi >>> 16) & 0xff;
  b[8] = 0x80 | ((clockseq >>> 8) & 0x3f);
  b[9] = clockseq & 0xff;
  for (let i = 0; i < 6; i++) b[10 + i] = node[i] as number;
  return b;
}

/**
 * A time-based (version 1) UUID from libuuid's clock-sequence state machine (`TimeUuidGenerator`): never a
 * duplicate within the process, even at more than 10 000 per millisecond or when the clock steps back. With
 * options, the given fields are used as they are (as the `uuid` package does).
 * @example
 * import { v1 } from '@suite/uuid';
 * v1(); // 'c232ab00-9414-11ec-b3c8-9f6bdeced846'
 * v1({ msecs: 1645557742000, clockseq: 0x33c8, node: Uint8Array.of(0x9f, 0x6b, 0xde, 0xce, 0xd8, 0x46) });
 */
export function v1(options?: Version1Options, buf?: undefined, offset?: number): string;
export function v1<TBuf extends Uint8Array>(
  options: Version1Options | undefined,
  buf: TBuf,
  offset?: number,
): TBuf;
export function v1<TBuf extends Uint8Array>(
  options?: Version1Options,
  buf?: TBuf,
  offset?: number,
): string | TBuf {
  if (hasOptions(options)) return output(v1FromOptions(options as Version1Options), 0, buf, offset);
  if (buf === undefined) return sharedTimeGenerator.nextString();
  return sharedTimeGenerator.next(buf, offset ?? 0) as TBuf;
}
