/**
 * The uuidd wire protocol of util-linux: one request per AF_UNIX stream connection.
 *
 * - Request: one byte, the operation; the two bulk operations add an int32 count.
 * - Reply: an int32 payload length, then the payload; then the server closes.
 *
 * Every int32 is in the host's native byte order, because util-linux copies C `int`s onto the socket. This codec
 * follows the host it runs on ({@link UUIDD_LITTLE_ENDIAN}), which is little-endian on every platform Node,
 * Deno and browsers run on today (x86-64, arm64); a big-endian host would speak big-endian, as its uuidd would.
 *
 * Nothing here does I/O: the Node client and server (`@suite/uuid/uuidd/node`) feed bytes in and write bytes out.
 * @module
 */

import { bulk } from './bulk.js';
import { v4 } from './v4.js';

/** `GETPID`: the reply is the daemon's pid in decimal ASCII, NUL-terminated. */
export const UUIDD_OP_GETPID = 0;
/** `GET_MAXOP`: the reply is the highest operation the daemon knows ("5"), NUL-terminated. */
export const UUIDD_OP_GET_MAXOP = 1;
/** `TIME_UUID`: the reply is one v1 (time-based) UUID, 16 bytes. */
export const UUIDD_OP_TIME_UUID = 2;
/** `RANDOM_UUID`: the reply is one v4 (random) UUID, 16 bytes. */
export const UUIDD_OP_RANDOM_UUID = 3;
/** `BULK_TIME_UUID` + int32 count: the reply is the first v1 UUID of `count` reserved ticks, then the count. */
export const UUIDD_OP_BULK_TIME_UUID = 4;
/** `BULK_RANDOM_UUID` + int32 count: the reply is the count, then that many v4 UUIDs. */
export const UUIDD_OP_BULK_RANDOM_UUID = 5;
/** The highest operation code, which `GET_MAXOP` reports. */
export const UUIDD_MAX_OP = 5;

/**
 * How many UUIDs util-linux puts in one `BULK_RANDOM_UUID` reply at most (its buffer holds 4 + 63 × 16 bytes),
 * and how many libuuid-based clients can read; the default cap of servers and clients here.
 */
export const UUIDD_BULK_RANDOM_MAX = 63;

/**
 * The default cap on the count of a `BULK_TIME_UUID` request a server here honours: 2^20 ticks, about 0.1 s
 * of timestamps. A larger request is closed without a reply, because a libuuid client ignores the count in the
 * reply and would hand out ticks the server never reserved; without a reply it falls back to generating locally.
 */
export const UUIDD_BULK_TIME_MAX = 1 << 20;

/** Whether this host's native byte order, the order of the protocol's int32s, is little-endian. */
export const UUIDD_LITTLE_ENDIAN: boolean = /* @__PURE__ */ (() =>
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1)();

/** An operation code of the protocol, 0 to 5. */
export type UuiddOp = 0 | 1 | 2 | 3 | 4 | 5;

/** A request, as a client sends it and a server decodes it. */
export type UuiddRequest =
  | { readonly op: typeof UUIDD_OP_GETPID }
  | { readonly op: typeof UUIDD_OP_GET_MAXOP }
  | { readonly op: typeof UUIDD_OP_TIME_UUID }
  | { readonly op: typeof UUIDD_OP_RANDOM_UUID }
  | { readonly op: typeof UUIDD_OP_BULK_TIME_UUID; readonly count: number }
  | { readonly op: typeof UUIDD_OP_BULK_RANDOM_UUID; readonly count: number };

/** A reply, as a server encodes it and a client decodes it. UUIDs are raw 16-byte values. */
export type UuiddReply =
  | { readonly op: typeof UUIDD_OP_GETPID; readonly pid: number }
  | { readonly op: typeof UUIDD_OP_GET_MAXOP; readonly maxOp: number }
  | { readonly op: typeof UUIDD_OP_TIME_UUID; readonly uuid: Uint8Array }
  | { readonly op: typeof UUIDD_OP_RANDOM_UUID; readonly uuid: Uint8Array }
  | { readonly op: typeof UUIDD_OP_BULK_TIME_UUID; readonly uuid: Uint8Array; readonly count: number }
  | {
      readonly op: typeof UUIDD_OP_BULK_RANDOM_UUID;
      /** `count` UUIDs, 16 bytes each, back to back. */
      readonly uuids: Uint8Array;
      readonly count: number;
    };

/**
 * What a decoder made of the bytes so far: a whole message (and how many bytes it used), a need for more bytes,
 * or bytes that can never become a valid message (the server closes such a connection without a reply).
 */
export type UuiddDecoded<T> =
  | { readonly status: 'complete'; readonly message: T; readonly length: number }
  | { readonly status: 'incomplete' }
  | { readonly status: 'invalid'; readonly reason: string };

/** Thrown by the encoders for a message that has no encoding, and by clients for a reply that breaks the protocol. */
export class UuiddProtocolError extends Error {
  /** `EUUIDDPROTO`: the bytes or the message do not follow the uuidd protocol. */
  readonly code = 'EUUIDDPROTO';
  constructor(message: string) {
    super(message);
    this.name = 'UuiddProtocolError';
  }
}

// Byte by byte rather than through a DataView: this runs once or twice per request on the serving path.
function readInt32(bytes: Uint8Array, offset: number): number {
  const [b0, b1, b2, b3] = [bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!];
  return UUIDD_LITTLE_ENDIAN
    ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)
    : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
}

function writeInt32(bytes: Uint8Array, offset: number, value: number): void {
  const little = UUIDD_LITTLE_ENDIAN;
  bytes[offset + (little ? 3 : 0)] = value >>> 24;
  bytes[offset + (little ? 2 : 1)] = (value >>> 16) & 0xff;
  bytes[offset + (little ? 1 : 2)] = (value >>> 8) & 0xff;
  bytes[offset + (little ? 0 : 3)] = value & 0xff;
}

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff;
}

function isBulk(op: number): op is 4 | 5 {
  return op === UUIDD_OP_BULK_TIME_UUID || op === UUIDD_OP_BULK_RANDOM_UUID;
}

/**
 * Encodes a request: 1 byte, or 5 for the bulk operations.
 * @example
 * import { encodeUuiddRequest, UUIDD_OP_BULK_TIME_UUID } from '@suite/uuid/uuidd';
 * encodeUuiddRequest({ op: UUIDD_OP_BULK_TIME_UUID, count: 10 }); // Uint8Array [4, 10, 0, 0, 0] (little-endian)
 */
export function encodeUuiddRequest(request: UuiddRequest): Uint8Array {
  if (!isBulk(request.op)) return Uint8Array.of(request.op);
  const { count } = request as { count: number };
  if (!isInt32(count)) throw new UuiddProtocolError(`uuidd request count ${count} is not an int32`);
  const bytes = new Uint8Array(5);
  bytes[0] = request.op;
  writeInt32(bytes, 1, count);
  return bytes;
}

/**
 * Decodes a request from the bytes a client sent so far. An unknown operation is `invalid`; an empty buffer or a
 * bulk operation without its whole count is `incomplete` (a server that sees the client close at that point treats
 * it as a truncated request).
 * @example
 * import { decodeUuiddRequest } from '@suite/uuid/uuidd';
 * decodeUuiddRequest(Uint8Array.of(2)); // { status: 'complete', message: { op: 2 }, length: 1 }
 * decodeUuiddRequest(Uint8Array.of(4, 1)); // { status: 'incomplete' }
 * decodeUuiddRequest(Uint8Array.of(9)); // { status: 'invalid', reason: 'invalid operation 9' }
 */
export function decodeUuiddRequest(bytes: Uint8Array): UuiddDecoded<UuiddRequest> {
  const op = bytes[0];
  if (op === undefined) return { status: 'incomplete' };
  if (op > UUIDD_MAX_OP) return { status: 'invalid', reason: `invalid operation ${op}` };
  if (!isBulk(op)) return { status: 'complete', message: { op } as UuiddRequest, length: 1 };
  if (bytes.length < 5) return { status: 'incomplete' };
  return { status: 'complete', message: { op, count: readInt32(bytes, 1) }, length: 5 };
}

const encoder = /* @__PURE__ */ new TextEncoder();

function checkUuid(uuid: Uint8Array): void {
  if (uuid.length !== 16) throw new UuiddProtocolError(`a UUID is 16 bytes, not ${uuid.length}`);
}

function framed(payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(4 + payload.length);
  writeInt32(bytes, 0, payload.length);
  bytes.set(payload, 4);
  return bytes;
}

function asciiz(value: number): Uint8Array {
  const text = encoder.encode(String(value));
  const bytes = new Uint8Array(text.length + 1);
  bytes.set(text);
  return bytes;
}

/**
 * Encodes a reply with its int32 length prefix, ready to write to the socket.
 * @example
 * import { encodeUuiddReply, UUIDD_OP_GETPID } from '@suite/uuid/uuidd';
 * encodeUuiddReply({ op: UUIDD_OP_GETPID, pid: 42 }); // [3, 0, 0, 0, 0x34, 0x32, 0]: length 3, "42\0"
 */
export function encodeUuiddReply(reply: UuiddReply): Uint8Array {
  switch (reply.op) {
    case UUIDD_OP_GETPID:
      return framed(asciiz(reply.pid));
    case UUIDD_OP_GET_MAXOP:
      return framed(asciiz(reply.maxOp));
    case UUIDD_OP_TIME_UUID:
    case UUIDD_OP_RANDOM_UUID:
      checkUuid(reply.uuid);
      return framed(reply.uuid);
    case UUIDD_OP_BULK_TIME_UUID: {
      checkUuid(reply.uuid);
      if (!isInt32(reply.count)) throw new UuiddProtocolError(`count ${reply.count} is not an int32`);
      const bytes = new Uint8Array(4 + 20);
      writeInt32(bytes, 0, 20);
      bytes.set(reply.uuid, 4);
      writeInt32(bytes, 20, reply.count);
      return bytes;
    }
    case UUIDD_OP_BULK_RANDOM_UUID: {
      if (reply.count < 0 || reply.uuids.length !== reply.count * 16) {
        throw new UuiddProtocolError(`${reply.count} UUIDs need ${reply.count * 16} bytes`);
      }
      const bytes = new Uint8Array(8 + reply.uuids.length);
      writeInt32(bytes, 0, 4 + reply.uuids.length);
      writeInt32(bytes, 4, reply.count);
      bytes.set(reply.uuids, 8);
      return bytes;
    }
  }
}

/** The payload lengths libuuid accepts: anything else makes it fall back to local generation. */
const fixedLength: Partial<Record<UuiddOp, number>> = /* @__PURE__ */ (() => ({
  [UUIDD_OP_TIME_UUID]: 16,
  [UUIDD_OP_RANDOM_UUID]: 16,
  [UUIDD_OP_BULK_TIME_UUID]: 20,
}))();

/** The largest payload a client here reads: a bulk random reply of `maxCount` UUIDs, or a short ASCII number. */
function payloadLimit(op: UuiddOp, maxCount: number): number {
  return op === UUIDD_OP_BULK_RANDOM_UUID ? 4 + 16 * maxCount : 1024;
}

function parseAsciiz(payload: Uint8Array): number | undefined {
  const end = payload.indexOf(0);
  const text = String.fromCharCode(...payload.subarray(0, end < 0 ? payload.length : end));
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * Decodes the reply to a request of operation `op` from the bytes received so far. The payload length must be the
 * one the operation calls for (16 for a single UUID, 20 for bulk time, 4 + 16 × count for bulk random, at most
 * `maxCount` UUIDs, default 63); anything else is `invalid`, as libuuid treats it.
 * @example
 * import { decodeUuiddReply, encodeUuiddReply, UUIDD_OP_GETPID } from '@suite/uuid/uuidd';
 * decodeUuiddReply(UUIDD_OP_GETPID, encodeUuiddReply({ op: 0, pid: 7 }));
 * // { status: 'complete', message: { op: 0, pid: 7 }, length: 6 }
 */
export function decodeUuiddReply(
  op: UuiddOp,
  bytes: Uint8Array,
  maxCount: number = UUIDD_BULK_RANDOM_MAX,
): UuiddDecoded<UuiddReply> {
  if (bytes.length < 4) return { status: 'incomplete' };
  const length = readInt32(bytes, 0);
  const expected = fixedLength[op];
  if (length < 0 || length > payloadLimit(op, maxCount) || (expected !== undefined && length !== expected)) {
    return { status: 'invalid', reason: `Unexpected reply length from server ${length}` };
  }
  if (bytes.length < 4 + length) return { status: 'incomplete' };
  // Copies, never views: `bytes` may be a Buffer, whose slice() shares memory (and a pool).
  const payload = bytes.subarray(4, 4 + length);
  const done = (message: UuiddReply): UuiddDecoded<UuiddReply> => ({
    status: 'complete',
    message,
    length: 4 + length,
  });
  switch (op) {
    case UUIDD_OP_GETPID:
    case UUIDD_OP_GET_MAXOP: {
      const value = parseAsciiz(payload);
      if (value === undefined) return { status: 'invalid', reason: 'the reply is not a decimal number' };
      return done(op === UUIDD_OP_GETPID ? { op, pid: value } : { op, maxOp: value });
    }
    case UUIDD_OP_TIME_UUID:
    case UUIDD_OP_RANDOM_UUID:
      return done({ op, uuid: Uint8Array.from(payload) });
    case UUIDD_OP_BULK_TIME_UUID:
      return done({ op, uuid: Uint8Array.from(payload.subarray(0, 16)), count: readInt32(payload, 16) });
    case UUIDD_OP_BULK_RANDOM_UUID: {
      const count = length >= 4 ? readInt32(payload, 0) : -1;
      if (count < 0 || length !== 4 + 16 * count) {
        return { status: 'invalid', reason: `Unexpected reply length from server ${length}` };
      }
      return done({ op, uuids: Uint8Array.from(payload.subarray(4)), count });
    }
  }
}

/**
 * The UUIDs a `BULK_TIME_UUID` reply stands for: `first`, then `count - 1` more whose 60-bit timestamps are one
 * 100-ns tick apart (clock sequence and node unchanged), as libuuid derives them.
 * @example
 * import { expandUuiddBulkTime } from '@suite/uuid/uuidd';
 * expandUuiddBulkTime(first, 3); // [first, first + 1 tick, first + 2 ticks], 16 bytes each
 */
export function expandUuiddBulkTime(first: Uint8Array, count: number): Uint8Array[] {
  checkUuid(first);
  const view = new DataView(first.buffer, first.byteOffset, 16);
  const high = view.getUint16(6) & 0x0fff;
  const start = (BigInt(high) << 48n) | (BigInt(view.getUint16(4)) << 32n) | BigInt(view.getUint32(0));
  const uuids: Uint8Array[] = [];
  for (let i = 0; i < Math.max(count, 1); i++) {
    const ticks = (start + BigInt(i)) & 0x0fff_ffff_ffff_ffffn;
    const uuid = Uint8Array.from(first); // not slice(): on a Buffer that is a view
    const out = new DataView(uuid.buffer);
    out.setUint32(0, Number(ticks & 0xffff_ffffn));
    out.setUint16(4, Number((ticks >> 32n) & 0xffffn));
    out.setUint16(6, (view.getUint16(6) & 0xf000) | Number(ticks >> 48n));
    uuids.push(uuid);
  }
  return uuids;
}

/** The v1 generator a {@link UuiddResponder} hands time UUIDs out of (`TimeUuidGenerator` fits). */
export interface UuiddTimeSource {
  /** One v1 UUID, 16 bytes. */
  next(): Uint8Array;
  /** The first v1 UUID of `count` consecutive ticks, all reserved. */
  reserve(count: number): Uint8Array;
}

/** What a {@link UuiddResponder} needs from its world. */
export interface UuiddResponderOptions {
  /** The pid `GETPID` reports. */
  readonly pid: number;
  /** Where time UUIDs come from. */
  readonly time: UuiddTimeSource;
  /**
   * Fills `bytes` with random bytes (v4 UUIDs are made from them); a fake makes replies deterministic in tests.
   * @default the package's `v4()` and `bulk(4, n)` (crypto.getRandomValues, drawn in blocks)
   */
  readonly random?: (bytes: Uint8Array) => void;
  /**
   * The largest `BULK_TIME_UUID` count honoured; larger requests are refused (closed without a reply).
   * @default UUIDD_BULK_TIME_MAX (2^20)
   */
  readonly maxBulkTime?: number;
  /**
   * The most UUIDs in one `BULK_RANDOM_UUID` reply. Raise it only for clients that read more than 63.
   * @default UUIDD_BULK_RANDOM_MAX (63)
   */
  readonly maxBulkRandom?: number;
}

/** What a responder made of a request: the reply to send, or a refusal (close without a reply) with a reason. */
export type UuiddAnswer =
  | { readonly reply: UuiddReply; readonly refused?: undefined }
  | { readonly reply?: undefined; readonly refused: string };

function stampV4(uuids: Uint8Array): void {
  for (let at = 0; at < uuids.length; at += 16) {
    uuids[at + 6] = (uuids[at + 6]! & 0x0f) | 0x40;
    uuids[at + 8] = (uuids[at + 8]! & 0x3f) | 0x80;
  }
}

/**
 * The daemon's logic without the daemon: turns a decoded request into the reply util-linux's uuidd would send.
 * `BULK_TIME_UUID` reserves the whole requested range (libuuid relies on it); `BULK_RANDOM_UUID` of 0 gives 0,
 * of a negative count gives 1, and at most `maxBulkRandom`.
 * @example
 * import { TimeUuidGenerator } from '@suite/uuid';
 * import { UuiddResponder, UUIDD_OP_RANDOM_UUID } from '@suite/uuid/uuidd';
 * const responder = new UuiddResponder({ pid: 1, time: new TimeUuidGenerator() });
 * responder.answer({ op: UUIDD_OP_RANDOM_UUID }).reply; // { op: 3, uuid: Uint8Array(16) [...] }
 */
export class UuiddResponder {
  readonly #options: UuiddResponderOptions;
  readonly #maxBulkTime: number;
  readonly #maxBulkRandom: number;
  /** Random bytes drawn ahead, 4 KiB at a time: one call to the random source serves 256 v4 UUIDs. */
  readonly #pool = new Uint8Array(4096);
  #poolAt = 4096;

  constructor(options: UuiddResponderOptions) {
    this.#options = options;
    this.#maxBulkTime = options.maxBulkTime ?? UUIDD_BULK_TIME_MAX;
    this.#maxBulkRandom = options.maxBulkRandom ?? UUIDD_BULK_RANDOM_MAX;
  }

  /** Answers one request. */
  answer(request: UuiddRequest): UuiddAnswer {
    const { time } = this.#options;
    switch (request.op) {
      case UUIDD_OP_GETPID:
        return { reply: { op: request.op, pid: this.#options.pid } };
      case UUIDD_OP_GET_MAXOP:
        return { reply: { op: request.op, maxOp: UUIDD_MAX_OP } };
      case UUIDD_OP_TIME_UUID:
        return { reply: { op: request.op, uuid: time.next() } };
      case UUIDD_OP_RANDOM_UUID:
        return { reply: { op: request.op, uuid: this.randomUuids(1) } };
      case UUIDD_OP_BULK_TIME_UUID: {
        const { count } = request;
        if (count > this.#maxBulkTime) {
          return { refused: `bulk time request of ${count} exceeds the cap of ${this.#maxBulkTime}` };
        }
        return { reply: { op: request.op, uuid: count > 1 ? time.reserve(count) : time.next(), count } };
      }
      case UUIDD_OP_BULK_RANDOM_UUID: {
        const count = Math.min(request.count < 0 ? 1 : request.count, this.#maxBulkRandom);
        return { reply: { op: request.op, uuids: this.randomUuids(count), count } };
      }
    }
  }

  /** `count` fresh v4 UUIDs, back to back. */
  randomUuids(count: number): Uint8Array {
    const { random } = this.#options;
    // The package's own: v4() draws from a shared pool, bulk() fills a whole reply with one random call.
    if (random === undefined) return count === 1 ? v4(undefined, new Uint8Array(16)) : bulk(4, count);
    const uuids = new Uint8Array(16 * count);
    if (uuids.length <= this.#pool.length) {
      if (this.#poolAt + uuids.length > this.#pool.length) {
        random(this.#pool);
        this.#poolAt = 0;
      }
      uuids.set(this.#pool.subarray(this.#poolAt, this.#poolAt + uuids.length));
      // Each random byte is handed out once.
      this.#pool.fill(0, this.#poolAt, this.#poolAt + uuids.length);
      this.#poolAt += uuids.length;
    } else {
      // getRandomValues fills at most 65536 bytes at a time.
      for (let at = 0; at < uuids.length; at += 65536) random(uuids.subarray(at, at + 65536));
    }
    stampV4(uuids);
    return uuids;
  }
}
