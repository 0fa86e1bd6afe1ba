/** A piece of a delta: its delta's name, its number P (1-based) and the number of pieces N. */
export interface PieceId {
  readonly name: string;
  readonly number: number;
  readonly count: number;
}

/**
 * The file name of a piece in a piece or queue directory: `NAME+PPP-NNN` (numbers zero-padded to 3 digits), so
 * that names sort in serving order.
 * @example
 * pieceFileName({ name: 'src-cur.0042.gz', number: 3, count: 12 }); // 'src-cur.0042.gz+003-012'
 */
export function pieceFileName(piece: PieceId): string {
  return `${piece.name}+${pad3(piece.number)}-${pad3(piece.count)}`;
}

/**
 * Reads a piece file name back; `undefined` for anything else (temporary dot-files, strangers).
 * @example
 * parsePieceFileName('src-cur.0042.gz+003-012'); // { name: 'src-cur.0042.gz', number: 3, count: 12 }
 */
export function parsePieceFileName(file: string): PieceId | undefined {
  const m = /^([^.].*)\+(\d{3,})-(\d{3,})$/s.exec(file);
  if (!m) return undefined;
  const number = Number(m[2]);
  const count = Number(m[3]);
  if (number < 1 || number > count) return undefined;
  return { name: m[1]!, number, count };
}

function pad3(n: number): string {
  return String(n).padStart(3, '0');
}
