import { parseCtmStatus } from './delta/status-file.js';
import { deltaFileName } from './delta-name.js';
import type { LockPort, LogPort } from './ports.js';
import { signatureName } from './signature.js';

/** The tree and the delta directory, as {@link applyCompleted} sees them. */
export interface ApplyCompletedPorts {
  readonly locks: LockPort;
  readonly log: LogPort;
  /** The text of `basedir/.ctm_status`, or `undefined` when there is none. */
  readStatus(): Promise<string | undefined>;
  /** Whether the delta directory holds the delta `name`. */
  hasDelta(name: string): Promise<boolean>;
  /** Runs ctm on the delta `name`, handing each line of its output to `onLine`; resolves to its success. */
  runCtm(name: string, onLine: (line: string) => void): Promise<boolean>;
  /** Removes the delta `name` from the delta directory. */
  removeDelta(name: string): Promise<void>;
  /**
   * ctm_rmail --keyring: asked before ctm runs on the delta `name`, whether it may be applied (see
   * {@link DeltaVerdict}). Without it every delta is applied, as by the original. A throw (the delta cannot be
   * read) stops the applying and is passed on.
   */
  checkDelta?(name: string): Promise<DeltaVerdict>;
  /**
   * Moves what a `reject` verdict names out of the way of the applying and of the next delivery of the genuine
   * files: the signature of the delta `name`, or the delta and its signature; resolves to where they went.
   */
  setAside?(name: string, what: 'signature' | 'both'): Promise<string>;
}

/**
 * What {@link ApplyCompletedPorts.checkDelta} found: `apply` (with a line for the log, such as who signed it),
 * `wait` (its signature has not come yet: not an error, the applying stops here until it does), or `reject` (the
 * reason goes to the log, the applying stops, and `aside` is set aside: `signature` when the signature is what is
 * wrong, so that the delta waits for a good one; `both` when they do not belong together).
 * @example
 * const verdict: DeltaVerdict = { verdict: 'wait', reason: 'waiting for its signature src-cur.0042.gz.asc' };
 */
export type DeltaVerdict =
  | { readonly verdict: 'apply'; readonly note: string }
  | { readonly verdict: 'wait'; readonly reason: string }
  | { readonly verdict: 'reject'; readonly reason: string; readonly aside: 'signature' | 'both' };

/** Options of {@link applyCompleted}. */
export interface ApplyCompletedOptions {
  /** -D: delete each delta once applied. @default false */
  readonly deleteAfter?: boolean;
}

/**
 * ctm_rmail -b: applies the completed deltas that follow `.ctm_status`, in order (`NAME.NNNN.gz` with numbers
 * NUMBER+1, NUMBER+2, ...), each with ctm, under the `apply` lock; logs `ctm: ...` for ctm's output, `NAME applied`
 * (or `NAME applied and deleted` with -D), and on failure `ctm failed to apply NAME`, then stops.
 * Resolves to the number of deltas applied.
 * @example
 * await applyCompleted(ports, { deleteAfter: true });
 */
export async function applyCompleted(
  ports: ApplyCompletedPorts,
  options: ApplyCompletedOptions = {},
): Promise<number> {
  const lock = await ports.locks.acquire('apply');
  try {
    const text = await ports.readStatus();
    if (text === undefined) return 0;
    const status = parseCtmStatus(text);
    if (!status) {
      ports.log('.ctm_status is not "NAME NUMBER": no delta applied');
      return 0;
    }
    try {
      deltaFileName(status.name);
    } catch (error) {
      ports.log(`.ctm_status: ${error instanceof Error ? error.message : String(error)}: no delta applied`);
      return 0;
    }
    let applied = 0;
    for (let number = status.number + 1; ; number++) {
      const delta = `${status.name}.${String(number).padStart(4, '0')}.gz`;
      if (!(await ports.hasDelta(delta))) break;
      if (!(await admitted(ports, delta))) break;
      const ok = await ports.runCtm(delta, (line) => ports.log(`ctm: ${line}`));
      if (!ok) {
        ports.log(`ctm failed to apply ${delta}`);
        break;
      }
      if (options.deleteAfter) {
        await ports.removeDelta(delta);
        if (ports.checkDelta) await ports.removeDelta(signatureName(delta));
      }
      ports.log(`${delta} applied${options.deleteAfter ? ' and deleted' : ''}`);
      applied++;
    }
    return applied;
  } finally {
    await lock.release();
  }
}

/** Whether the delta may be applied: asks `checkDelta`, logs its verdict, sets a rejected delta aside. */
async function admitted(ports: ApplyCompletedPorts, delta: string): Promise<boolean> {
  if (!ports.checkDelta) return true;
  const found = await ports.checkDelta(delta);
  switch (found.verdict) {
    case 'apply':
      ports.log(`${delta} ${found.note}`);
      return true;
    case 'wait':
      ports.log(`${delta} not applied yet: ${found.reason}`);
      return false;
    case 'reject': {
      ports.log(`${delta} not applied: ${found.reason}`);
      if (!ports.setAside) return false;
      const where = await ports.setAside(delta, found.aside);
      if (found.aside === 'both') ports.log(`${delta} and its signature set aside in ${where}`);
      else ports.log(`${signatureName(delta)} set aside in ${where}; ${delta} waits for a good signature`);
      return false;
    }
  }
}
