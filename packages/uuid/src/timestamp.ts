import { parseAny } from './parse.js';
import type { UuidInput } from './types.js';

const GREGORIAN_OFFSET_TICKS = 122_192_928_000_000_000n; // GREGORIAN_OFFSET_MS in 100-ns ticks

function bytesOf(uuid: UuidInput): Uint8Array {
  const b = typeof uuid === 'string' ? parseAny(uuid) : uuid;
  if (b === undefined || b.length < 16) throw new TypeError('Invalid UUID');
  return b;
}

function be(b: Uint8Array, from: number, to: number): bigint {
  let x = 0n;
  for (let i = from; i < to; i++) x = (x << 8n) | BigInt(b[i] as number);
  return x;
}

/**
 * The timestamp of a v1, v6 or v7 UUID in 100-ns ticks since the Unix epoch (v7 has ms precision, so its ticks
 * end in 0000). Throws a TypeError for other versions.
 * @example
 * import { timestampTicks } from '@suite/uuid';
 * timestampTicks('c232ab00-9414-11ec-b3c8-9f6bdeced846'); // 16455577420000000n
 */
export function timestampTicks(uuid: UuidInput): bigint {
  const b = bytesOf(uuid);
  const ver = (b[6] as number) >> 4;
  if (ver === 7) return be(b, 0, 6) * 10_000n;
  let gregorian: bigint;
  if (ver === 1) {
    gregorian = ((be(b, 6, 8) & 0x0fffn) << 48n) | (be(b, 4, 6) << 32n) | be(b, 0, 4);
  } else if (ver === 6) {
    gregorian = (be(b, 0, 6) << 12n) | (be(b, 6, 8) & 0x0fffn);
  } else {
    throw new TypeError(`UUID version ${ver} has no timestamp`);
  }
  return gregorian - GREGORIAN_OFFSET_TICKS;
}

/**
 * The timestamp of a v1, v6 or v7 UUID in milliseconds since the Unix epoch (rounded down), ready for `new Date()`.
 * @example
 * import { timestampMs } from '@suite/uuid';
 * new Date(timestampMs('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toISOString(); // '2022-02-22T19:22:22.000Z'
 */
export function timestampMs(uuid: UuidInput): number {
  const ticks = timestampTicks(uuid);
  const ms = ticks / 10_000n;
  return Number(ticks < 0n && ms * 10_000n !== ticks ? ms - 1n : ms);
}
