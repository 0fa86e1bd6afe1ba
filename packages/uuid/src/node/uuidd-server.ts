import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, renameSync, unlinkSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import {
  decodeUuiddRequest,
  encodeUuiddReply,
  type UuiddReply,
  type UuiddRequest,
  UuiddResponder,
  type UuiddTimeSource,
} from '../uuidd-protocol.js';
import { acceptRaw, type RawStream, writeAndClose } from './uuidd-raw.js';

/** Something that happened on a {@link UuiddServer}, for logging (`uuidd -d`) and idle timers. */
export type UuiddServerEvent =
  /** A client connected. */
  | { readonly type: 'connection' }
  /** A request was answered. */
  | { readonly type: 'request'; readonly request: UuiddRequest; readonly reply: UuiddReply }
  /**
   * A request could not be understood (bad operation, empty, or a short count) and its connection was closed
   * without a reply; `malformed` is the running total.
   */
  | {
      readonly type: 'malformed';
      readonly reason: string;
      readonly received: number;
      readonly malformed: number;
    }
  /** A request was understood but refused (closed without a reply), e.g. a bulk time count above the cap. */
  | { readonly type: 'refused'; readonly request: UuiddRequest; readonly reason: string }
  /** A client sent nothing (or not all of a request) within the read timeout and was disconnected. */
  | { readonly type: 'timeout'; readonly timedOut: number };

/** Options of {@link UuiddServer.listen}. */
export interface UuiddServerOptions {
  /** Where time UUIDs come from: a `TimeUuidGenerator` (with a persistent clock store, for a daemon). */
  readonly time: UuiddTimeSource;
  /**
   * Fills bytes with random bytes, for v4 UUIDs (a fake makes replies deterministic in tests).
   * @default the package's `v4()` (a pool refilled by crypto.getRandomValues)
   */
  readonly random?: (bytes: Uint8Array) => void;
  /**
   * The pid `GETPID` reports.
   * @default process.pid
   */
  readonly pid?: number;
  /**
   * The largest `BULK_TIME_UUID` count honoured; larger requests are closed without a reply.
   * @default UUIDD_BULK_TIME_MAX (2^20)
   */
  readonly maxBulkTime?: number;
  /**
   * The most UUIDs in one `BULK_RANDOM_UUID` reply.
   * @default UUIDD_BULK_RANDOM_MAX (63)
   */
  readonly maxBulkRandom?: number;
  /**
   * Milliseconds a client may take to send its whole request: it is disconnected between one and two of these
   * after it connected. Other clients are served meanwhile in any case: this only bounds how long a silent client
   * holds a connection.
   * @default 5000
   */
  readonly readTimeout?: number;
  /** Called for every event; keep it fast, it runs on the serving path. */
  readonly onEvent?: (event: UuiddServerEvent) => void;
  /**
   * Opt in to serving connections on Node's internal stream handles (the `stream_wrap` binding and the listening
   * server's `_handle`) rather than a `net.Socket` each, which takes about half the CPU per connection (see
   * {@link UuiddServer.fastPath}). These are not public API: the server falls back to `net.Socket` by itself when
   * they are missing, and `UUIDD_NO_FAST_PATH=1` in the environment turns the fast path off even when asked for.
   * The `uuidd` daemon of `@suite/cli` opts in.
   * @default false (public `net.Socket` API only)
   */
  readonly fastPath?: boolean;
}

/** A client's connection: a net.Socket, or a raw handle on the fast path. */
type Connection = Socket | RawStream;

const CONNECTION: UuiddServerEvent = Object.freeze({ type: 'connection' });

/** Counters of a {@link UuiddServer} since it started. */
export interface UuiddServerStats {
  /** Requests answered. */
  requests: number;
  /** Requests closed without a reply because they were not valid (bad operation, empty, short count). */
  malformed: number;
  /** Valid requests refused (bulk time count above the cap). */
  refused: number;
  /** Clients disconnected because they sent nothing, or not a whole request, within the read timeout. */
  timedOut: number;
}

/** A fresh name beside `path` to bind under before renaming, or undefined if it would not fit in sun_path. */
function temporaryName(path: string): string | undefined {
  const temp = join(dirname(path), `.uuidd-${process.pid}-${randomBytes(3).toString('hex')}`);
  return Buffer.byteLength(temp) < 108 ? temp : undefined;
}

/**
 * Where a {@link UuiddServer} listens: a socket path it binds, a listening socket it inherited (`{ fd: 3 }`), or
 * a listening `net.Server`, such as one another process handed over with `child.send(message, server)` so that
 * several processes accept on the same socket.
 */
export type UuiddListenTarget = string | { readonly fd: number } | Server;

/**
 * A uuidd server: util-linux's wire protocol on a unix socket, with connections served concurrently, so a client
 * that connects and sends nothing never holds up the others, and a per-connection read timeout.
 * @example
 * import { TimeUuidGenerator } from '@suite/uuid';
 * import { fileClockStore } from '@suite/uuid/node';
 * import { UuiddServer } from '@suite/uuid/uuidd/node';
 * const server = await UuiddServer.listen('/run/uuidd/request', {
 *   time: new TimeUuidGenerator({ store: fileClockStore('/var/lib/suite-uuidd/clock.txt') }),
 * });
 * // ...
 * await server.close(); // stops listening and removes the socket file (if it is still the one it bound)
 */
export class UuiddServer {
  /** Counters since the server started. */
  readonly stats: UuiddServerStats = { requests: 0, malformed: 0, refused: 0, timedOut: 0 };
  /** The socket path, when the server bound one (not for an inherited fd). */
  readonly path: string | undefined;
  readonly #server: Server;
  readonly #responder: UuiddResponder;
  readonly #readTimeout: number;
  readonly #onEvent: ((event: UuiddServerEvent) => void) | undefined;
  /** Connections whose request has not been read yet. */
  readonly #pending = new Set<Connection>();
  /** The bytes so far of requests that came in pieces, on the fast path (a net.Socket keeps its own). */
  readonly #partial = new Map<RawStream, Uint8Array>();
  #overdue: Connection[] = [];
  readonly #fastPath: boolean;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;
  /** The device and inode of the socket file this server bound: it removes that file only while it is still it. */
  readonly #bound: { readonly dev: number; readonly ino: number } | undefined;

  private constructor(server: Server, path: string | undefined, options: UuiddServerOptions) {
    this.#server = server;
    this.path = path;
    if (path !== undefined) {
      const st = lstatSync(path);
      this.#bound = { dev: st.dev, ino: st.ino };
    }
    this.#responder = new UuiddResponder({
      pid: options.pid ?? process.pid,
      time: options.time,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.maxBulkTime === undefined ? {} : { maxBulkTime: options.maxBulkTime }),
      ...(options.maxBulkRandom === undefined ? {} : { maxBulkRandom: options.maxBulkRandom }),
    });
    this.#readTimeout = options.readTimeout ?? 5000;
    this.#onEvent = options.onEvent;
    server.on('connection', (socket) => this.#serve(socket));
    this.#fastPath =
      options.fastPath === true &&
      acceptRaw(server, {
        connection: (handle) => this.#opened(handle),
        data: (handle, bytes) => this.#rawData(handle, bytes),
        end: (handle, eof) => this.#rawEnd(handle, eof),
      });
    this.#sweeper = setInterval(() => this.#sweep(), this.#readTimeout);
    this.#sweeper.unref();
  }

  /**
   * Starts serving on a socket path or on an inherited listening socket (`{ fd: 3 }` under systemd socket
   * activation). A path is bound afresh: the socket is bound under a temporary name beside it and renamed over
   * whatever file is there (make sure no live daemon answers on it), so the path never goes missing, and the
   * socket is made accessible to every user (mode 0777), as util-linux's uuidd does. Rejects with the
   * bind/listen error (`EACCES`, `ENAMETOOLONG`, ...).
   */
  static async listen(target: UuiddListenTarget, options: UuiddServerOptions): Promise<UuiddServer> {
    if (target instanceof Server) return new UuiddServer(target, undefined, options);
    const server = createServer({ allowHalfOpen: false });
    const path = typeof target === 'string' ? target : undefined;
    // libuv removes the path a server listened on when it closes, whoever's socket is there by then: bound under
    // a temporary name, only that name is removed, and close() removes the real path only if it is still ours.
    const temp = path === undefined ? undefined : temporaryName(path);
    if (path !== undefined && temp === undefined) {
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const bindPath = temp ?? path;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(
        // Listening again on an inherited socket sets its backlog: keep it as deep as systemd's default.
        {
          ...(bindPath === undefined ? { fd: (target as { fd: number }).fd } : { path: bindPath }),
          backlog: 4096,
        },
        () => {
          server.off('error', reject);
          resolve();
        },
      );
    });
    if (bindPath !== undefined && path !== undefined) {
      try {
        chmodSync(bindPath, 0o777);
        if (temp !== undefined) renameSync(temp, path);
      } catch (error) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        throw error;
      }
    }
    return new UuiddServer(server, path, options);
  }

  /** A client connected: it has the read timeout to send its request. */
  #opened(connection: Connection): void {
    this.#pending.add(connection);
    this.#onEvent?.(CONNECTION);
  }

  /** The bytes a pending client sent so far: true when they made a request (answered) or garbage (closed). */
  #received(connection: Connection, bytes: Uint8Array): boolean {
    const decoded = decodeUuiddRequest(bytes);
    if (decoded.status === 'incomplete') return false;
    this.#pending.delete(connection);
    if (decoded.status === 'invalid') this.#malformed(connection, decoded.reason, bytes.length);
    else this.#answer(connection, decoded.message);
    return true;
  }

  /** The client half-closed after `length` bytes: if they made no request, it was a malformed one. */
  #ended(connection: Connection, length: number): void {
    if (!this.#pending.delete(connection)) return;
    this.#malformed(
      connection,
      length === 0 ? 'empty request' : `truncated request of ${length} bytes`,
      length,
    );
  }

  /** The public path: a net.Socket per connection. */
  #serve(socket: Socket): void {
    this.#opened(socket);
    let received: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (!this.#pending.has(socket)) return;
      received = received === undefined ? chunk : Buffer.concat([received, chunk]);
      this.#received(socket, received);
    });
    socket.on('end', () => this.#ended(socket, received?.length ?? 0));
    socket.on('error', () => {
      // A client that went away early (ECONNRESET, EPIPE): nothing to answer.
      this.#pending.delete(socket);
    });
  }

  /** The fast path: bytes on a raw handle (most requests arrive whole in the first chunk). */
  #rawData(handle: RawStream, chunk: Uint8Array): boolean {
    if (!this.#pending.has(handle)) return true;
    const before = this.#partial.get(handle);
    let bytes = chunk;
    if (before !== undefined) {
      bytes = new Uint8Array(before.length + chunk.length);
      bytes.set(before);
      bytes.set(chunk, before.length);
    }
    if (this.#received(handle, bytes)) {
      if (before !== undefined) this.#partial.delete(handle);
      return true;
    }
    this.#partial.set(handle, before === undefined ? chunk.slice() : bytes);
    return false;
  }

  /** The fast path: the client half-closed (`eof`) or the connection failed. */
  #rawEnd(handle: RawStream, eof: boolean): void {
    const length = this.#partial.get(handle)?.length ?? 0;
    this.#partial.delete(handle);
    if (eof) this.#ended(handle, length);
    else this.#pending.delete(handle); // a client that went away early: nothing to answer
    handle.close(); // if #ended has not already
  }

  /** Closes a connection without a reply. */
  #drop(connection: Connection): void {
    if (connection instanceof Socket) connection.destroy();
    else {
      this.#partial.delete(connection);
      connection.close();
    }
  }

  /**
   * Disconnects the clients that were already waiting for their request at the previous sweep: a silent client
   * is dropped between one and two read timeouts after it connected. One timer for all connections keeps the
   * per-connection cost down.
   */
  #sweep(): void {
    for (const connection of this.#overdue) {
      if (!this.#pending.delete(connection)) continue;
      this.#drop(connection);
      this.stats.timedOut++;
      this.#onEvent?.({ type: 'timeout', timedOut: this.stats.timedOut });
    }
    this.#overdue = [...this.#pending];
  }

  #answer(connection: Connection, request: UuiddRequest): void {
    const answer = this.#responder.answer(request);
    if (answer.refused !== undefined) {
      this.stats.refused++;
      this.#drop(connection);
      this.#onEvent?.({ type: 'refused', request, reason: answer.refused });
      return;
    }
    this.stats.requests++;
    // Close as soon as the reply is out, as util-linux does, rather than wait for the client's end.
    const bytes = encodeUuiddReply(answer.reply);
    if (connection instanceof Socket) connection.write(bytes, () => connection.destroy());
    else writeAndClose(connection, bytes);
    this.#onEvent?.({ type: 'request', request, reply: answer.reply });
  }

  #malformed(connection: Connection, reason: string, received: number): void {
    this.stats.malformed++;
    this.#drop(connection);
    this.#onEvent?.({ type: 'malformed', reason, received, malformed: this.stats.malformed });
  }

  /** The listening `net.Server`, to hand to other processes that should accept on the same socket. */
  get server(): Server {
    return this.#server;
  }

  /**
   * Whether connections are served on Node's internal stream handles (the fast path) rather than a `net.Socket`
   * each. On the fast path the listening `net.Server` emits no 'connection' events: watch {@link
   * UuiddServerOptions.onEvent} instead.
   */
  get fastPath(): boolean {
    return this.#fastPath;
  }

  /** How many clients are connected and have not sent their whole request yet. */
  get waiting(): number {
    return this.#pending.size;
  }

  /**
   * Stops listening, disconnects every client and removes the socket file it bound (not one it was handed).
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const connection of this.#pending) this.#drop(connection);
    this.#pending.clear();
    await closed;
    if (this.path !== undefined && this.#bound !== undefined) {
      try {
        // Another daemon may have bound the path since (a second one started on it, or ours was replaced): leave
        // its socket alone.
        const st = lstatSync(this.path);
        if (st.dev === this.#bound.dev && st.ino === this.#bound.ino) unlinkSync(this.path);
      } catch {
        // Already gone: someone removed it.
      }
    }
  }
}
