// The uuidd server's fast path: accepted connections are served on Node's own stream handles (the `Pipe` objects
// of its internal pipe_wrap binding) instead of a net.Socket each.
//
// Why: uuidd clients open one connection per request. Building, driving and tearing down a net.Socket (a Duplex
// stream, its events, nextTick callbacks) costs about 37 µs of CPU per connection here, more than twice what
// util-linux's C daemon spends on the whole request (15-18 µs); on the bare handle a connection costs about 21 µs.
//
// How: the listening handle's `onconnection` (which net.Server sets) is wrapped. The request is read at once with
// a plain read(2) on the accepted descriptor (fs.readSync): clients write it right after connecting, so it is
// nearly always there, which saves registering the descriptor with epoll and waiting a loop turn (about 5 µs of
// the 21); when it is not there yet (EAGAIN), the handle reads through libuv as usual (`onread`). The reply goes
// out with the handle's `writeBuffer` and the handle is closed. This leans on internals (the handle
// methods, and `process.binding('stream_wrap')` for `WriteWrap` and the read/write state), so it is only used when
// every piece is there with the expected shape; anything else (another runtime, a Node that dropped them, a
// permission model that forbids process.binding, `UUIDD_NO_FAST_PATH=1` in the environment) keeps the public
// net.Socket path, which behaves the same.
import { readSync } from 'node:fs';
import type { Server } from 'node:net';

/** An accepted connection's internal stream handle (a `Pipe` for a unix socket, a `TCP` otherwise). */
export interface RawStream {
  onread: ((this: RawStream, buffer: ArrayBuffer | undefined) => void) | null;
  readStart(): number;
  readStop(): number;
  writeBuffer(request: object, data: Uint8Array): number;
  close(callback?: () => void): void;
  /** The descriptor (-1 on Windows). */
  readonly fd?: number;
}

/** What happens on a raw connection, told to the server. */
export interface RawHandlers {
  /** A client connected (the handle is already reading). */
  connection(handle: RawStream): void;
  /** Bytes arrived (a view valid only during the call); true when the connection needs no more of them. */
  data(handle: RawStream, bytes: Uint8Array): boolean;
  /** The client half-closed (`eof`) or the connection failed; the handle is still open. */
  end(handle: RawStream, eof: boolean): void;
}

interface WriteWrapLike {
  handle: RawStream;
  oncomplete: (this: WriteWrapLike) => void;
  async: boolean;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteWrapLike;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

/** libuv's UV_EOF, the same on every platform. */
const UV_EOF = -4095;

/** Where the first read of every connection goes (a request is at most 5 bytes; more is read later if need be). */
const firstRead = Buffer.alloc(64);

function loadBinding(): StreamWrapBinding | undefined {
  if (process.env.UUIDD_NO_FAST_PATH) return undefined;
  try {
    const binding = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding(
      'stream_wrap',
    );
    const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = binding;
    if (
      typeof WriteWrap !== 'function' ||
      !(streamBaseState instanceof Int32Array) ||
      typeof kReadBytesOrError !== 'number' ||
      typeof kArrayBufferOffset !== 'number' ||
      typeof kLastWriteWasAsync !== 'number'
    ) {
      return undefined;
    }
    return { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync };
  } catch {
    return undefined;
  }
}

let binding: StreamWrapBinding | undefined | null = null;

function streamWrap(): StreamWrapBinding | undefined {
  if (binding === null) binding = loadBinding();
  return binding;
}

function isRawStream(handle: unknown): handle is RawStream {
  const h = handle as Partial<RawStream> | null;
  return (
    typeof h === 'object' &&
    h !== null &&
    typeof h.readStart === 'function' &&
    typeof h.readStop === 'function' &&
    typeof h.writeBuffer === 'function' &&
    typeof h.close === 'function' &&
    'onread' in h
  );
}

type OnConnection = (this: unknown, error: number, handle: unknown) => void;

/**
 * Serves the connections `server` accepts on raw handles, told to `handlers`. Returns false, and changes nothing,
 * when the internals are not there as expected: then the server's 'connection' event keeps serving. Accept errors
 * and any handle that does not look right still go to net.Server's own handler.
 */
export function acceptRaw(server: Server, handlers: RawHandlers): boolean {
  const state = streamWrap();
  const listening = (server as unknown as { _handle?: { onconnection?: OnConnection } | null })._handle;
  const netOnConnection = listening?.onconnection;
  if (state === undefined || listening == null || typeof netOnConnection !== 'function') return false;
  const { streamBaseState, kReadBytesOrError, kArrayBufferOffset } = state;
  function onread(this: RawStream, buffer: ArrayBuffer | undefined): void {
    const nread = streamBaseState[kReadBytesOrError]!;
    if (nread > 0 && buffer !== undefined) {
      handlers.data(this, new Uint8Array(buffer, streamBaseState[kArrayBufferOffset], nread));
    } else if (nread < 0) handlers.end(this, nread === UV_EOF);
  }
  function readLater(handle: RawStream): void {
    handle.onread = onread;
    if (handle.readStart() !== 0) handlers.end(handle, false);
  }
  listening.onconnection = function (this: unknown, error: number, handle: unknown): void {
    if (error !== 0 || !isRawStream(handle)) {
      netOnConnection.call(this, error, handle);
      return;
    }
    handlers.connection(handle);
    const fd = handle.fd;
    if (typeof fd !== 'number' || fd < 0) {
      readLater(handle);
      return;
    }
    let nread: number;
    try {
      nread = readSync(fd, firstRead, 0, firstRead.length, null);
    } catch (failure) {
      const code = (failure as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK')
        readLater(handle); // not sent yet
      else handlers.end(handle, false);
      return;
    }
    if (nread === 0) handlers.end(handle, true);
    else if (!handlers.data(handle, firstRead.subarray(0, nread))) readLater(handle);
  };
  return true;
}

function closeAfterWrite(this: WriteWrapLike): void {
  this.handle.close();
}

/** Writes `bytes` and closes the handle once they are out (at once when the kernel took them all). */
export function writeAndClose(handle: RawStream, bytes: Uint8Array): void {
  const { WriteWrap, streamBaseState, kLastWriteWasAsync } = streamWrap()!;
  handle.readStop();
  const request = new WriteWrap();
  request.handle = handle;
  request.oncomplete = closeAfterWrite;
  request.async = false;
  const error = handle.writeBuffer(request, bytes);
  // A failed write (the client went away: EPIPE) and a finished one close now; a queued one closes when it is done.
  if (error !== 0 || streamBaseState[kLastWriteWasAsync] === 0) handle.close();
}
