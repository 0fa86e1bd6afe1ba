/**
 * Fills `bytes` with cryptographically strong random values.
 * @example
 * const nodeFill: RandomFill = (bytes) => randomFillSync(bytes); // node:crypto's
 */
export type RandomFill = (bytes: Uint8Array) => void;

/**
 * The default random source: Web Crypto's getRandomValues, which every platform has, 65536 bytes a call.
 * @example
 * setRandomFill(webCryptoFill); // back to the default
 */
export const webCryptoFill: RandomFill = (bytes) => {
  // getRandomValues refuses more than 65536 bytes per call.
  for (let at = 0; at < bytes.length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65536, bytes.length)));
  }
};

let fill: RandomFill = webCryptoFill;

/**
 * Replaces the random source of every pool (the `node` entry installs node:crypto's randomFillSync).
 * @example
 * setRandomFill((bytes) => randomFillSync(bytes));
 */
export function setRandomFill(source: RandomFill): void {
  fill = source;
}

/**
 * Fills `bytes` from the current random source.
 * @example
 * randomFill(new Uint8Array(16));
 */
export function randomFill(bytes: Uint8Array): void {
  fill(bytes);
}

/**
 * Random bytes drawn from one big buffer, refilled with one call when used up: one getRandomValues call serves
 * 256 UUIDs instead of one.
 * @example
 * const at = pool.take(16); // pool.bytes[at .. at + 16] are fresh random bytes
 */
export class RandomPool {
  readonly bytes: Uint8Array;
  #offset: number;

  constructor(size = 4096) {
    this.bytes = new Uint8Array(size);
    this.#offset = size;
  }

  /** Reserves `n` bytes (n <= size) and returns where they start in `bytes`. */
  take(n: number): number {
    let at = this.#offset;
    if (at + n > this.bytes.length) {
      fill(this.bytes);
      at = 0;
    }
    this.#offset = at + n;
    return at;
  }
}

/**
 * The pool the generators share.
 * @example
 * const at = pool.take(16);
 */
export const pool: RandomPool = /* @__PURE__ */ new RandomPool();
