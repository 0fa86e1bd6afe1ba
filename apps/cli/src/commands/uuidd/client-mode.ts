// `uuidd -t|-r [-n N]` and `uuidd -k`: calls to a running daemon, with util-linux's output and messages.
import { stringify } from '@suite/uuid/node';
import {
  describeSystemError,
  encodeUuiddRequest,
  UUIDD_BULK_RANDOM_MAX,
  UUIDD_OP_BULK_RANDOM_UUID,
  UUIDD_OP_BULK_TIME_UUID,
  UUIDD_OP_GETPID,
  UUIDD_OP_RANDOM_UUID,
  UUIDD_OP_TIME_UUID,
  UuiddCallError,
  UuiddClient,
  type UuiddRawReply,
  type UuiddRequest,
} from '@suite/uuid/uuidd/node';
import type { UuiddOptions } from './options.js';

/** util-linux's reply buffer in client mode: the count and 63 UUIDs. */
const PROTOCOL_BUFFER = 4 + 16 * UUIDD_BULK_RANDOM_MAX;

/** An exit with a message for stderr (already prefixed `uuidd: `). */
export class UuiddExit extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function callFailed(error: unknown): UuiddExit {
  if (!(error instanceof UuiddCallError)) throw error;
  const detail = error.step === 'bad response length' ? '' : `: ${describeSystemError(error.code)}`;
  return new UuiddExit(1, `uuidd: error calling uuidd daemon (${error.step})${detail}`);
}

async function call(socketPath: string, request: UuiddRequest, maxPayload: number): Promise<UuiddRawReply> {
  try {
    return await new UuiddClient({ socketPath, timeout: 30_000 }).exchange(
      encodeUuiddRequest(request),
      maxPayload,
    );
  } catch (error) {
    throw callFailed(error);
  }
}

function unexpectedSize(size: number): UuiddExit {
  return new UuiddExit(1, `uuidd: Unexpected reply length from server ${size}`);
}

/** `-t`/`-r`, with `-n N` for the bulk forms. Writes to `write` as it goes (as util-linux does before failing). */
export async function requestUuids(options: UuiddOptions, write: (text: string) => void): Promise<void> {
  const { socketPath, count } = options;
  if (count > 0 && options.type === 'time') {
    const reply = await call(socketPath, { op: UUIDD_OP_BULK_TIME_UUID, count }, PROTOCOL_BUFFER);
    if (reply.payload.length !== 20) throw unexpectedSize(reply.payload.length);
    const more = count - 1;
    write(`${stringify(reply.payload)} and ${more} subsequent UUID${more === 1 ? '' : 's'}\n`);
    return;
  }
  if (count > 0) {
    // libuuid's client asks for no more than its buffer holds, and expects exactly what it asked for.
    const asked = Math.min(count, UUIDD_BULK_RANDOM_MAX);
    const reply = await call(socketPath, { op: UUIDD_OP_BULK_RANDOM_UUID, count: asked }, PROTOCOL_BUFFER);
    write('List of UUIDs:\n');
    if (reply.payload.length !== 4 + 16 * asked) throw unexpectedSize(reply.payload.length);
    let lines = '';
    for (let i = 0; i < asked; i++) lines += `\t${stringify(reply.payload, 4 + 16 * i)}\n`;
    write(lines);
    return;
  }
  const op = options.type === 'time' ? UUIDD_OP_TIME_UUID : UUIDD_OP_RANDOM_UUID;
  const reply = await call(socketPath, { op }, 16);
  if (reply.payload.length !== 16) throw unexpectedSize(reply.payload.length);
  write(`${stringify(reply.payload)}\n`);
}

/** The pid a daemon on `socketPath` reports, or undefined when none answers. */
export async function probeDaemon(socketPath: string): Promise<string | undefined> {
  try {
    const reply = await new UuiddClient({ socketPath, timeout: 30_000 }).exchange(
      encodeUuiddRequest({ op: UUIDD_OP_GETPID }),
      1024,
    );
    if (reply.payload.length === 0) return undefined;
    const end = reply.payload.indexOf(0);
    return Buffer.from(reply.payload.subarray(0, end < 0 ? undefined : end)).toString('latin1');
  } catch (error) {
    if (error instanceof UuiddCallError) return undefined;
    throw error;
  }
}

/** `-k`: GETPID, then SIGTERM. No daemon: nothing to do, exit 0. */
export async function killDaemon(options: UuiddOptions, write: (text: string) => void): Promise<void> {
  let reply: UuiddRawReply;
  try {
    reply = await new UuiddClient({ socketPath: options.socketPath, timeout: 30_000 }).exchange(
      encodeUuiddRequest({ op: UUIDD_OP_GETPID }),
      16,
    );
  } catch (error) {
    if (error instanceof UuiddCallError) return;
    throw error;
  }
  if (reply.payload.length === 0) return;
  const end = reply.payload.indexOf(0);
  const text = Buffer.from(reply.payload.subarray(0, end < 0 ? undefined : end)).toString('latin1');
  if (!/^\d+$/.test(text) || Number(text) > 0xffff_ffff) {
    throw new UuiddExit(1, `uuidd: failed to parse pid: '${text}'`);
  }
  const pid = Number(text);
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EPERM';
    const reason = code === 'ESRCH' ? 'No such process' : code === 'EPERM' ? 'Operation not permitted' : code;
    throw new UuiddExit(
      1,
      options.quiet ? '' : `uuidd: couldn't kill uuidd running at pid ${pid}: ${reason}`,
    );
  }
  if (!options.quiet) write(`Killed uuidd running at pid ${pid}.\n`);
}
