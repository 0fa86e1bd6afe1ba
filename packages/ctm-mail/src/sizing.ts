import { LINE_BYTES, LINE_CHARS } from './_base64.js';
import { CtmMailError } from './errors.js';
import { MAX_PIECE_COUNT } from './scanner.js';

/** How a delta is cut into pieces. */
export interface PiecePlan {
  /** The number of pieces, N. */
  readonly count: number;
  /** Delta bytes carried by each piece (a multiple of 54); the last pieces may carry fewer, or none. */
  readonly bytesPerPiece: number;
}

/** ctm_smail's default maximum message size (-m), in bytes. */
export const DEFAULT_MAX_MESSAGE_SIZE = 64000;

/**
 * Cuts a delta of `deltaSize` bytes into pieces whose encoded bodies stay near `maxMessageSize` bytes, exactly as
 * the original ctm_smail sizes them (mail headers are not counted).
 * @throws {CtmMailError} `EEMPTY` for a 0-byte delta, `EBADSIZE` for a size that is not a positive integer,
 * `ETOOMANY` when the pieces would be more than ctm_rmail accepts ({@link MAX_PIECE_COUNT}).
 * @example
 * planPieces(204, 64000); // { count: 1, bytesPerPiece: 216 }
 */
export function planPieces(deltaSize: number, maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE): PiecePlan {
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize <= 0) {
    throw new CtmMailError(
      'EBADSIZE',
      `maximum message size must be a positive number of bytes, not ${maxMessageSize}`,
    );
  }
  if (!Number.isSafeInteger(deltaSize) || deltaSize < 0) {
    throw new CtmMailError('EBADSIZE', `delta size must be a number of bytes, not ${deltaSize}`);
  }
  if (deltaSize === 0) throw new CtmMailError('EEMPTY', 'the delta is empty: there is nothing to send');
  let encoded = Math.floor((deltaSize * 4) / 3);
  encoded += Math.ceil(encoded / LINE_CHARS);
  const count = Math.ceil(encoded / maxMessageSize);
  if (count > MAX_PIECE_COUNT) {
    throw new CtmMailError(
      'ETOOMANY',
      `a maximum message size of ${maxMessageSize} bytes cuts this delta into ${count} pieces, ` +
        `more than the ${MAX_PIECE_COUNT} ctm_rmail accepts: use a larger -m`,
    );
  }
  const perPiece = Math.ceil(deltaSize / count);
  return { count, bytesPerPiece: Math.ceil(perPiece / LINE_BYTES) * LINE_BYTES };
}
