/**
 * The exit status bits of ctm(1), which callers (ctm_rmail, cron lines) test.
 * @example
 * if (result.status & CtmExit.Forcible) console.log('would apply with -F');
 */
export const CtmExit = {
  /** All input digested, no problems. */
  OK: 0,
  /** Bad input (syntax, an MD5 of the delta): no point in retrying. */
  Garbage: 1,
  /** Command-line problem. */
  Pilot: 2,
  /** Out of resources (cannot read, cannot write a temporary file). */
  Broke: 4,
  /** The tree is not as the delta expects. */
  NotOK: 8,
  /** The tree is not as the delta expects, but `-F` may force it. */
  Forcible: 16,
  /** Internal problem, refused name, failed edit. */
  Mess: 32,
} as const;

/** What went wrong, as a stable code. */
export type CtmErrorCode =
  | 'ENOTCTM' // not a delta at all
  | 'EVERSION' // not version 2.0
  | 'ECORRUPT' // a field is not as ctm(5) says
  | 'ETRUNCATED' // the delta ends early
  | 'EMD5' // an MD5 of the delta does not match
  | 'EHOSTILENAME' // absolute, `..`, or through a symlink
  | 'EEDIT' // an edit script does not apply
  | 'ENOCHANGE'; // `diff` found nothing to put in a delta

/**
 * A delta that cannot be used, with the exit status ctm(1) gives for it.
 * @example
 * try { await applyDelta(source, tree); } catch (e) { if (e instanceof CtmError) console.error(e.code, e.message); }
 */
export class CtmError extends Error {
  override readonly name = 'CtmError';
  /** A stable code for programs. */
  readonly code: CtmErrorCode;
  /** The ctm(1) exit status bit this error maps to. */
  readonly status: number;

  constructor(code: CtmErrorCode, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}
