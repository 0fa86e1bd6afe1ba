import { randomFillSync } from 'node:crypto';
import { setRandomFill } from '../_random.js';

// node:crypto fills a Uint8Array of any size in one call (Web Crypto stops at 65536 bytes).
setRandomFill((bytes) => {
  randomFillSync(bytes);
});
