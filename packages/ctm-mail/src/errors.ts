/** What went wrong, as a stable code a program can test. */
export type CtmMailErrorCode =
  | 'EEMPTY' // a 0-byte delta: there is nothing to split
  | 'EBADSIZE' // a maximum message size that is not a positive integer
  | 'EBADNAME' // a delta name that would escape its directory, or is too long, or holds control characters
  | 'EBADPIECE' // a piece with an impossible number
  | 'ETOOMANY' // more pieces than ctm_rmail accepts (999,999)
  | 'EREAD'; // the delta ended before its announced size

/**
 * An error of `@suite/ctm-mail`: `code` says what kind, `message` says what to do about it.
 * @example
 * try { planPieces(0, 64000); } catch (e) { if (e instanceof CtmMailError && e.code === 'EEMPTY') ... }
 */
export class CtmMailError extends Error {
  /** The kind of error. */
  readonly code: CtmMailErrorCode;

  constructor(code: CtmMailErrorCode, message: string) {
    super(message);
    this.name = 'CtmMailError';
    this.code = code;
  }
}
