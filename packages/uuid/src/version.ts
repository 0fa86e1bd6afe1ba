import { HEX_VALUE } from './_hex.js';
import { validate } from './validate.js';

/**
 * The version of a UUID string (0 for nil, 15 for max); throws a TypeError('Invalid UUID') like `uuid` does.
 * @example
 * import { version } from '@suite/uuid';
 * version('017f22e2-79b0-7cc3-98c4-dc0c0c07398f'); // 7
 */
export function version(uuid: string): number {
  if (!validate(uuid)) throw new TypeError('Invalid UUID');
  return HEX_VALUE[uuid.charCodeAt(14)] as number;
}
