import { connect } from 'node:net';
import { hexOf } from '@suite/internal';
import {
  decodeUuiddReply,
  encodeUuiddRequest,
  expandUuiddBulkTime,
  UUIDD_BULK_RANDOM_MAX,
  UUIDD_LITTLE_ENDIAN,
  UUIDD_OP_BULK_RANDOM_UUID,
  UUIDD_OP_BULK_TIME_UUID,
  UUIDD_OP_GETPID,
  UUIDD_OP_RANDOM_UUID,
  UUIDD_OP_TIME_UUID,
  UuiddProtocolError,
  type UuiddReply,
  type UuiddRequest,
} from '../uuidd-protocol.js';

/** The socket util-linux's uuidd listens on and libuuid calls. */
export const DEFAULT_UUIDD_SOCKET = '/run/uuidd/request';

/** The pid file util-linux's uuidd writes by default. */
export const DEFAULT_UUIDD_PIDFILE = '/run/uuidd/uuidd.pid';

/** Which step of a call to the daemon failed, in util-linux's words ("connect", "write", "read count"...). */
export type UuiddCallStep = 'socket' | 'connect' | 'write' | 'read count' | 'bad response length' | 'timeout';

/**
 * A call to the daemon failed before a reply came: `code` is the system error (`ENOENT`, `ECONNREFUSED`...) and
 * `step` says where, so that `uuidd` prints `error calling uuidd daemon (connect): No such file or directory`.
 */
export class UuiddCallError extends Error {
  readonly code: string;
  readonly step: UuiddCallStep;
  constructor(step: UuiddCallStep, code: string, message: string) {
    super(message);
    this.name = 'UuiddCallError';
    this.step = step;
    this.code = code;
  }
}

/** Options of {@link UuiddClient}. */
export interface UuiddClientOptions {
  /**
   * The daemon's socket.
   * @default '/run/uuidd/request'
   */
  readonly socketPath?: string;
  /**
   * Milliseconds a call may take in all before it fails with `ETIMEDOUT`.
   * @default 5000
   */
  readonly timeout?: number;
  /**
   * The most UUIDs a bulk random reply may carry; larger requests are cut to it, as libuuid does.
   * @default 63
   */
  readonly maxBulkRandom?: number;
}

const systemMessages: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ECONNREFUSED: 'Connection refused',
  EACCES: 'Permission denied',
  ENOTSOCK: 'Socket operation on non-socket',
  ECONNRESET: 'Connection reset by peer',
  EPIPE: 'Broken pipe',
  ETIMEDOUT: 'Connection timed out',
  ENAMETOOLONG: 'File name too long',
  ENOTDIR: 'Not a directory',
  EAGAIN: 'Resource temporarily unavailable',
  EPROTOTYPE: 'Protocol wrong type for socket',
};

/** The C library's text for a Node system error code (what util-linux's `err()` prints after the colon). */
export function describeSystemError(code: string): string {
  return systemMessages[code] ?? code;
}

/** A payload as received, before it is checked against what the operation calls for. */
export interface UuiddRawReply {
  /** The length the server announced. */
  readonly length: number;
  /** The payload bytes received (fewer than `length` if the server closed early). */
  readonly payload: Uint8Array;
  /** Everything received: the length, then the payload. */
  readonly bytes: Uint8Array;
}

/** Formats 16 bytes as a lowercase canonical UUID string. */
function format(uuid: Uint8Array): string {
  const hex = hexOf(uuid);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A client of a uuidd daemon (ours or util-linux's): one connection per call, as libuuid makes.
 * @example
 * import { UuiddClient } from '@suite/uuid/uuidd/node';
 * const uuidd = new UuiddClient({ socketPath: '/run/uuidd/request' });
 * await uuidd.time(); // '1ef0c8a2-6f9a-11ef-8d4b-0b7f3c2a9e11'
 * await uuidd.bulkRandom(3); // three v4 UUID strings
 * await uuidd.pid(); // 1234
 */
export class UuiddClient {
  /** The daemon's socket. */
  readonly socketPath: string;
  readonly #timeout: number;
  readonly #maxBulkRandom: number;

  constructor(options: UuiddClientOptions = {}) {
    this.socketPath = options.socketPath ?? DEFAULT_UUIDD_SOCKET;
    this.#timeout = options.timeout ?? 5000;
    this.#maxBulkRandom = options.maxBulkRandom ?? UUIDD_BULK_RANDOM_MAX;
  }

  /** One v1 (time-based) UUID. */
  async time(): Promise<string> {
    const reply = await this.request({ op: UUIDD_OP_TIME_UUID });
    return format((reply as { uuid: Uint8Array }).uuid);
  }

  /** One v4 (random) UUID. */
  async random(): Promise<string> {
    const reply = await this.request({ op: UUIDD_OP_RANDOM_UUID });
    return format((reply as { uuid: Uint8Array }).uuid);
  }

  /**
   * `count` v1 UUIDs from one reserved range of consecutive ticks (one request, as libuuid's cache fills).
   * @example
   * await uuidd.bulkTime(10); // ten v1 UUIDs whose timestamps are 100 ns apart
   */
  async bulkTime(count: number): Promise<string[]> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`bulkTime count ${count} is not >= 1`);
    const reply = await this.request({ op: UUIDD_OP_BULK_TIME_UUID, count });
    return expandUuiddBulkTime((reply as { uuid: Uint8Array }).uuid, count).map(format);
  }

  /**
   * Up to `count` v4 UUIDs in one request; a daemon gives at most 63 at a time (libuuid's buffer), so ask again
   * for more.
   */
  async bulkRandom(count: number): Promise<string[]> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`bulkRandom count ${count} is not >= 1`);
    const reply = await this.request({
      op: UUIDD_OP_BULK_RANDOM_UUID,
      count: Math.min(count, this.#maxBulkRandom),
    });
    const { uuids, count: got } = reply as { uuids: Uint8Array; count: number };
    return Array.from({ length: got }, (_, i) => format(uuids.subarray(16 * i, 16 * i + 16)));
  }

  /** The daemon's pid (`GETPID`). */
  async pid(): Promise<number> {
    const reply = await this.request({ op: UUIDD_OP_GETPID });
    return (reply as { pid: number }).pid;
  }

  /**
   * Sends one request and decodes the reply. Rejects with {@link UuiddCallError} when the daemon cannot be
   * reached, and with `UuiddProtocolError` when the reply is not what the operation calls for (the message is
   * util-linux's: `Unexpected reply length from server N`).
   */
  async request(request: UuiddRequest): Promise<UuiddReply> {
    const raw = await this.exchange(encodeUuiddRequest(request), 4 + 16 * Math.max(this.#maxBulkRandom, 64));
    const decoded = decodeUuiddReply(request.op, raw.bytes, this.#maxBulkRandom);
    if (decoded.status === 'complete') return decoded.message;
    const reason =
      decoded.status === 'invalid'
        ? decoded.reason
        : `Unexpected reply length from server ${raw.payload.length}`;
    throw new UuiddProtocolError(reason);
  }

  /**
   * The raw exchange util-linux's `call_daemon` makes: connect, write the request, read the int32 length and up
   * to that many payload bytes (at most `maxPayload`), close. A server that closes early gives a short payload.
   */
  exchange(request: Uint8Array, maxPayload: number): Promise<UuiddRawReply> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path: this.socketPath });
      let step: UuiddCallStep = 'connect';
      let received: Buffer = Buffer.alloc(0);
      let length: number | undefined;
      let settled = false;
      const finish = (result: UuiddRawReply | UuiddCallError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (result instanceof UuiddCallError) reject(result);
        else resolve(result);
      };
      const timer = setTimeout(
        () =>
          finish(new UuiddCallError(step, 'ETIMEDOUT', `uuidd did not answer within ${this.#timeout} ms`)),
        this.#timeout,
      );
      socket.on('connect', () => {
        step = 'write';
        // Half-close after the request: a server sees a truncated request at once, not after its read timeout.
        socket.end(request);
        step = 'read count';
      });
      socket.on('data', (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        if (length === undefined && received.length >= 4) {
          length = UUIDD_LITTLE_ENDIAN ? received.readInt32LE(0) : received.readInt32BE(0);
          if (length < 0 || length > maxPayload) {
            finish(new UuiddCallError('bad response length', 'EPROTO', `bad response length ${length}`));
            return;
          }
        }
        if (length !== undefined && received.length >= 4 + length) {
          finish({
            length,
            payload: received.subarray(4, 4 + length),
            bytes: received.subarray(0, 4 + length),
          });
        }
      });
      socket.on('end', () => {
        if (length === undefined) {
          // util-linux reads a zero length when the server closes without a reply.
          finish({ length: 0, payload: new Uint8Array(0), bytes: received });
        } else finish({ length, payload: received.subarray(4), bytes: received });
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? 'EIO';
        finish(new UuiddCallError(step, code, `${step}: ${describeSystemError(code)}`));
      });
    });
  }
}
