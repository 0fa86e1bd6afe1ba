/** Bounds of the waits between tries: exponential from `min` to `max` ms, each jittered to [half, full]. */
export interface Backoff {
  /** The first wait's ceiling, in ms. @default 1 */
  readonly min?: number;
  /** The largest wait, in ms. @default 100 */
  readonly max?: number;
}

/** The wait before try `attempt + 1` (attempt counts from 0); `fraction` in [0, 1) jitters it. */
export function backoffDelay(attempt: number, backoff: Backoff | undefined, fraction: number): number {
  const min = backoff?.min ?? 1;
  const max = Math.max(min, backoff?.max ?? 100);
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
  // Half fixed, half random: contenders spread out, yet nobody waits much less than the ceiling.
  return ceiling / 2 + (fraction * ceiling) / 2;
}
