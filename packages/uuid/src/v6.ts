import { hasOptions, output } from './_output.js';
import { sharedTimeGenerator } from './clock-sequence.js';
import type { Version6Options } from './types.js';
import { v1FromOptions } from './v1.js';
import { v1BytesToV6 } from './v1-to-v6.js';

/**
 * A reordered time-based (version 6) UUID: the timestamp and clock sequence of `v1()` (the same state machine,
 * shared with it), with the timestamp's high bits first so that the string sorts by time.
 * @example
 * import { v6 } from '@suite/uuid';
 * v6(); // '1ec9414c-232a-6b00-b3c8-9f6bdeced846'
 */
export function v6(options?: Version6Options, buf?: undefined, offset?: number): string;
export function v6<TBuf extends Uint8Array>(
  options: Version6Options | undefined,
  buf: TBuf,
  offset?: number,
): TBuf;
export function v6<TBuf extends Uint8Array>(
  options?: Version6Options,
  buf?: TBuf,
  offset?: number,
): string | TBuf {
  if (hasOptions(options)) {
    return output(v1BytesToV6(v1FromOptions(options as Version6Options)), 0, buf, offset);
  }
  if (buf === undefined) return sharedTimeGenerator.nextV6String();
  return sharedTimeGenerator.nextV6(buf, offset ?? 0) as TBuf;
}
