import { randomFillSync } from 'node:crypto';
import { setRandomFill } from '../_random.js';

/** Makes the random pools fill through node:crypto (one call for any size; Web Crypto stops at 65536 bytes). */
export function useNodeRandom(): void {
  setRandomFill((bytes) => {
    randomFillSync(bytes);
  });
}
