import { parse } from './parse.js';
import { unsafeStringify } from './stringify.js';
import type { Bytes, UuidInput } from './types.js';

/** Reorders the timestamp of a v1 UUID's bytes into v6 order. */
export function v1BytesToV6(b: Uint8Array, out: Bytes = new Uint8Array(16)): Bytes {
  const b0 = b[0] as number;
  const b1 = b[1] as number;
  const b2 = b[2] as number;
  const b3 = b[3] as number;
  const b4 = b[4] as number;
  const b5 = b[5] as number;
  const b6 = b[6] as number;
  const b7 = b[7] as number;
  out[0] = ((b6 & 0x0f) << 4) | (b7 >> 4);
  out[1] = ((b7 & 0x0f) << 4) | (b4 >> 4);
  out[2] = ((b4 & 0x0f) << 4) | (b5 >> 4);
  out[3] = ((b5 & 0x0f) << 4) | (b0 >> 4);
  out[4] = ((b0 & 0x0f) << 4) | (b1 >> 4);
  out[5] = ((b1 & 0x0f) << 4) | (b2 >> 4);
  out[6] = 0x60 | (b2 & 0x0f);
  out[7] = b3;
  for (let i = 8; i < 16; i++) out[i] = b[i] as number;
  return out;
}

/** Reorders the timestamp of a v6 UUID's bytes into v1 order. */
export function v6BytesToV1(b: Uint8Array, out: Bytes = new Uint8Array(16)): Bytes {
  const b0 = b[0] as number;
  const b1 = b[1] as number;
  const b2 = b[2] as number;
  const b3 = b[3] as number;
  const b4 = b[4] as number;
  const b5 = b[5] as number;
  const b6 = b[6] as number;
  const b7 = b[7] as number;
  out[0] = ((b3 & 0x0f) << 4) | (b4 >> 4);
  out[1] = ((b4 & 0x0f) << 4) | (b5 >> 4);
  out[2] = ((b5 & 0x0f) << 4) | (b6 & 0x0f);
  out[3] = b7;
  out[4] = ((b1 & 0x0f) << 4) | (b2 >> 4);
  out[5] = ((b2 & 0x0f) << 4) | (b3 >> 4);
  out[6] = 0x10 | (b0 >> 4);
  out[7] = ((b0 & 0x0f) << 4) | (b1 >> 4);
  for (let i = 8; i < 16; i++) out[i] = b[i] as number;
  return out;
}

/**
 * The v6 form of a v1 UUID (same timestamp, clock sequence and node), as a string or bytes like its input.
 * @example
 * import { v1ToV6 } from '@suite/uuid';
 * v1ToV6('c232ab00-9414-11ec-b3c8-9f6bdeced846'); // '1ec9414c-232a-6b00-b3c8-9f6bdeced846'
 */
export function v1ToV6(uuid: string): string;
export function v1ToV6(uuid: Uint8Array): Bytes;
export function v1ToV6(uuid: UuidInput): string | Bytes {
  if (typeof uuid === 'string') return unsafeStringify(v1BytesToV6(parse(uuid)));
  return v1BytesToV6(uuid);
}

/**
 * The v1 form of a v6 UUID, as a string or bytes like its input.
 * @example
 * import { v6ToV1 } from '@suite/uuid';
 * v6ToV1('1ec9414c-232a-6b00-b3c8-9f6bdeced846'); // 'c232ab00-9414-11ec-b3c8-9f6bdeced846'
 */
export function v6ToV1(uuid: string): string;
export function v6ToV1(uuid: Uint8Array): Bytes;
export function v6ToV1(uuid: UuidInput): string | Bytes {
  if (typeof uuid === 'string') return unsafeStringify(v6BytesToV1(parse(uuid)));
  return v6BytesToV1(uuid);
}
