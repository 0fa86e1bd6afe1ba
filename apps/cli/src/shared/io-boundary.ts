// The one input/output boundary of every command: what happens when standard output goes away or fails, and how
// a system error is worded. defineTool() installs it before a command runs.
import { strerror } from '@suite/internal';

/**
 * The C library's message for a Node system error (`ENOSPC` → `No space left on device`), as the originals print
 * it; the error's own message when its code is not a known errno.
 * @example
 * errnoMessage(Object.assign(new Error('x'), { code: 'ENOENT' })); // 'No such file or directory'
 */
export function errnoMessage(error: unknown): string {
  return strerror(error);
}

type WriteCallback = (error?: Error | null) => void;

/** The boundary of each stream guarded so far (one per process, in practice). */
const boundaries = new WeakMap<NodeJS.WriteStream, StdoutBoundary>();

/** What the boundary saw of standard output. */
export interface StdoutBoundary {
  /** The command whose name its messages carry: the first to guard the stream (`suite`, when it dispatched). */
  readonly program: string;
  /** The reader went away (EPIPE): output stopped quietly; the command's status stands. */
  readonly closed: boolean;
  /** A write failed otherwise (ENOSPC, EIO...): reported once on stderr; the command must exit 1. */
  readonly failed: boolean;
}

/**
 * Guards `process.stdout` for the command `program`, as util-linux's close_stdout does for its tools: once the
 * reader has gone (EPIPE) every later write is dropped quietly and the command runs on to its own end and status
 * (mm keeps its jobs and their locks); a write error (`uuidgen > /dev/full`) prints `program: write error: No space
 * left on device` once and makes the status 1 (run.ts applies it). A write that hit EPIPE still tells its callback
 * so, so a producer can stop early; no write throws and no 'error' event goes unheard. Guarding a stream again
 * returns its boundary as it is.
 * @example
 * const stdout = guardStdout('uuidgen');
 * // ... run the tool ...
 * if (stdout.failed) process.exitCode = 1;
 */
export function guardStdout(program: string, stream: NodeJS.WriteStream = process.stdout): StdoutBoundary {
  const existing = boundaries.get(stream);
  if (existing !== undefined) return existing; // `suite uuidgen`: the dispatcher's boundary stands
  const state = { program, closed: false, failed: false };
  boundaries.set(stream, state);
  const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
  const fail = (error: unknown) => {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') {
      state.closed = true;
      return;
    }
    if (state.failed) return;
    state.failed = true;
    state.closed = true;
    process.stderr.write(`${program}: write error: ${errnoMessage(error)}\n`);
  };
  stream.on('error', fail);
  // A failed write may be reported after the command has returned its status (the error comes on a later tick).
  process.on('exit', () => {
    if (state.failed) process.exitCode = 1;
  });
  const write = stream.write.bind(stream) as (
    chunk: unknown,
    encoding?: unknown,
    cb?: WriteCallback,
  ) => boolean;
  const guarded = (chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    const callback = (typeof encoding === 'function' ? encoding : cb) as WriteCallback | undefined;
    const enc = typeof encoding === 'function' ? undefined : encoding;
    if (state.closed) {
      // A dropped write after EPIPE says EPIPE (a producer stops); after a write error it is just dropped.
      if (callback) process.nextTick(callback, state.failed ? null : epipe());
      return true;
    }
    try {
      return write(chunk, enc, (error) => {
        if (error) fail(error);
        callback?.(error && state.failed ? null : error);
      });
    } catch (error) {
      // A file or device as stdout (SyncWriteStream) throws from write() itself.
      fail(error);
      if (callback) process.nextTick(callback, state.failed ? null : epipe());
      return true;
    }
  };
  (stream as { write: typeof guarded }).write = guarded;
  return state;
}
