import { readSync } from 'node:fs';
import type { DeltaSource } from '../splitter.js';

/**
 * A {@link DeltaSource} reading an open file descriptor from its current position.
 * @example
 * await splitDelta(fdSource(openSync(path, 'r')), options, open);
 */
export function fdSource(fd: number): DeltaSource {
  // One buffer, reused: splitDelta is done with a chunk before it reads the next.
  let buffer = Buffer.allocUnsafe(0);
  return {
    read(length) {
      if (buffer.length < length) buffer = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buffer, got, length - got, null);
        if (n === 0) break;
        got += n;
      }
      return buffer.subarray(0, got);
    },
  };
}
