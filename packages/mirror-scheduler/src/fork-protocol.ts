// The framing between the scheduler and its resident fork helper (src/node/fork-server.pl). Requests: a decimal
// byte length, a newline, then that many bytes of NUL-separated fields `seq cwd script argc args... env...` (each
// env entry `NAME=value`). Replies: one line each, `S seq pid` once forked, `E pid exitcode signo` once reaped,
// `F seq reason` if the fork failed. Pure: no Node imports.

/** One reply of the fork helper. */
export type ForkReply =
  | { readonly kind: 'started'; readonly seq: number; readonly pid: number }
  | { readonly kind: 'exited'; readonly pid: number; readonly exitCode: number; readonly signal: number }
  | { readonly kind: 'failed'; readonly seq: number; readonly reason: string };

/** A request the helper cannot carry (its fields are NUL-separated). */
export class ForkRequestError extends Error {
  readonly code = 'EFORKREQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'ForkRequestError';
  }
}

const encoder = new TextEncoder();

/**
 * Frames a request to start `/bin/sh -c SCRIPT ARGV0 ARGS...` in `cwd` ('' = the helper's) with `env` added.
 * With `standbyBelow` K it is a standby request: the helper starts it as soon as fewer than K of its jobs run (at
 * once if that is already so, else the moment it reaps one), so that a freed slot is refilled without a round
 * trip to the scheduler; standby requests start in the order they came.
 * @example
 * const bytes = encodeForkRequest(1, '/srv', 'echo "$1"', ['hi'], { LANG: 'C' });
 * // "28\n1\0/srv\0echo \"$1\"\0001\0hi\0LANG=C" as UTF-8
 * @throws {ForkRequestError} if a field holds a NUL byte (or an env name holds `=`)
 */
export function encodeForkRequest(
  seq: number,
  cwd: string,
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  standbyBelow?: number,
): Uint8Array {
  if (standbyBelow !== undefined && !(Number.isSafeInteger(standbyBelow) && standbyBelow > 0))
    throw new ForkRequestError(`standbyBelow must be a positive integer, got ${standbyBelow}`);
  const fields = [
    standbyBelow === undefined ? String(seq) : `w${standbyBelow}:${seq}`,
    cwd,
    script,
    String(args.length),
    ...args,
    ...Object.entries(env).map(([k, v]) => {
      if (k === '' || k.includes('=')) throw new ForkRequestError(`not an environment variable name: ${k}`);
      return `${k}=${v}`;
    }),
  ];
  if (fields.some((f) => f.includes('\0')))
    throw new ForkRequestError('a NUL byte in a command, argument or variable');
  const payload = encoder.encode(fields.join('\0'));
  const head = encoder.encode(`${payload.length}\n`);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/**
 * Withdraws a standby request (see {@link encodeForkRequest}'s `standbyBelow`) the helper has not started yet: it
 * answers `F seq cancelled`; one already started is not affected (its `S` reply comes, or came, as usual).
 * @example
 * socket.write(encodeForkCancel(7));
 */
export function encodeForkCancel(seq: number): Uint8Array {
  const payload = encoder.encode(`c:${seq}`);
  return encoder.encode(`${payload.length}\nc:${seq}`);
}

const DIGITS = /^\d+$/;

/** Parses one reply line (without its newline); anything else is `undefined`. */
export function parseForkReply(line: string): ForkReply | undefined {
  const kind = line.slice(0, 2);
  if (kind === 'F ') {
    const space = line.indexOf(' ', 2);
    const seq = line.slice(2, space < 0 ? undefined : space);
    if (!DIGITS.test(seq)) return undefined;
    return { kind: 'failed', seq: Number(seq), reason: space < 0 ? '' : line.slice(space + 1) };
  }
  const parts = line.split(' ');
  if (kind === 'S ' && parts.length === 3 && DIGITS.test(parts[1]!) && DIGITS.test(parts[2]!))
    return { kind: 'started', seq: Number(parts[1]), pid: Number(parts[2]) };
  if (kind === 'E ' && parts.length === 4 && parts.slice(1).every((p) => DIGITS.test(p)))
    return { kind: 'exited', pid: Number(parts[1]), exitCode: Number(parts[2]), signal: Number(parts[3]) };
  return undefined;
}

/**
 * Splits the helper's reply stream into replies, whatever the chunks' boundaries.
 * @example
 * const decoder = new ForkReplyDecoder();
 * decoder.push('S 1 4242\nE 42'); // [{ kind: 'started', seq: 1, pid: 4242 }]
 * decoder.push('42 0 0\n'); // [{ kind: 'exited', pid: 4242, exitCode: 0, signal: 0 }]
 */
export class ForkReplyDecoder {
  #partial = '';

  /** Takes the next chunk of text; returns the replies it completes, in order (unknown lines are dropped). */
  push(chunk: string): ForkReply[] {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    const out: ForkReply[] = [];
    for (const line of lines) {
      const reply = parseForkReply(line);
      if (reply) out.push(reply);
    }
    return out;
  }

  /** Text received after the last complete line. */
  get pending(): string {
    return this.#partial;
  }
}
