import { v1 } from '../v1.js';
import { UuiddClient } from './uuidd-client.js';

/**
 * What {@link v1Safe} made: the UUID, and whether it was made safely (libuuid's `uuid_generate_time_safe`).
 * @example
 * import { type SafeTimeUuid, v1Safe } from '@suite/uuid/node';
 * const made: SafeTimeUuid = await v1Safe(); // { uuid: '1ef0c8a2-…', safe: true }
 */
export interface SafeTimeUuid {
  /** A v1 (time-based) UUID. */
  readonly uuid: string;
  /**
   * True when a uuidd daemon made it: the daemon serializes every process that asks it, so no other process can
   * get the same UUID. False when it was made in this process because no daemon answered: unique within this
   * process, and across processes only as far as the random clock sequence and node make a clash unlikely.
   */
  readonly safe: boolean;
}

/**
 * Options of {@link v1Safe}.
 * @example
 * import { v1Safe } from '@suite/uuid/node';
 * await v1Safe({ socketPath: '/run/uuidd/request', timeout: 1000 });
 */
export interface V1SafeOptions {
  /**
   * The daemon's socket.
   * @default '/run/uuidd/request'
   */
  readonly socketPath?: string;
  /**
   * Milliseconds to wait for the daemon before making the UUID here.
   * @default 5000
   */
  readonly timeout?: number;
}

/**
 * A v1 UUID with libuuid's `uuid_generate_time_safe` answer: asks the uuidd daemon (ours or util-linux's) and
 * says `safe: true`, or, when no daemon answers, makes one with `v1()` and says `safe: false`. libuuid also calls
 * a UUID safe when it held the lock on its clock.txt; this process shares no such state file with others, so only
 * a daemon's answer is safe here.
 * @example
 * import { v1Safe } from '@suite/uuid/node';
 * const { uuid, safe } = await v1Safe();
 * if (!safe) console.warn(`${uuid} was made without uuidd: start it for UUIDs unique across processes`);
 */
export async function v1Safe(options: V1SafeOptions = {}): Promise<SafeTimeUuid> {
  const client = new UuiddClient({
    ...(options.socketPath === undefined ? {} : { socketPath: options.socketPath }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
  try {
    return { uuid: await client.time(), safe: true };
  } catch {
    // No daemon, a refused request, a bad reply: libuuid then generates locally, and so do we.
    return { uuid: v1(), safe: false };
  }
}
