/** Fills `bytes` with cryptographically strong random values. */
export type RandomFill = (bytes: Uint8Array) => void;

const webCryptoFill: RandomFill = (bytes) => {
  // getRandomValues refuses more than 65536 bytes per call.
  for (let at = 0; at < bytes.length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65536, bytes.length)));
  }
};

let fill: RandomFill = webCryptoFill;

/** Replaces the random source of every pool (the `node` entry installs node:crypto's randomFillSync). */
export function setRandomFill(source: RandomFill): void {
  fill = source;
}

/** Fills `bytes` from the current random source. */
export function randomFill(bytes: Uint8Array): void {
  fill(bytes);
}

/**
 * Random bytes drawn from one big buffer, refilled with one call when used up: one getRandomValues call serves
 * 256 UUIDs instead of one.
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

/** The pool the generators share. */
export const pool: RandomPool = /* @__PURE__ */ new RandomPool();
