/** Bounds of the waits between tries: exponential from `min` to `max` ms, each jittered to [half, full]. */
export interface Backoff {
  /** The first wait's ceiling, in ms. @default 1 */
  readonly min?: number;
  /** The largest wait, in ms. @default 100 */
  readonly max?: number;
}

/**
 * proper-lockfile's `retries` option: the options of the `retry` package, with its defaults. The wait before
 * retry k (from 0) is `min(maxTimeout, minTimeout * factor^k)`, times a random number in [1, 2) with `randomize`.
 * @example
 * await acquire(path, { retries: { retries: 5, factor: 1.5, minTimeout: 50, maxTimeout: 1_000 } });
 */
export interface RetryOptions {
  /** How many retries after the first try. @default 10 */
  readonly retries?: number;
  /** The growth of the waits. @default 2 */
  readonly factor?: number;
  /** The first wait, in ms. @default 1000 */
  readonly minTimeout?: number;
  /** The largest wait, in ms. @default Infinity */
  readonly maxTimeout?: number;
  /** Multiply each wait by a random number in [1, 2). @default false */
  readonly randomize?: boolean;
  /** Retry without end (`retries` then only bounds the growth of the waits). @default false */
  readonly forever?: boolean;
  /** Stop retrying once this many ms have passed since the first try. @default Infinity */
  readonly maxRetryTime?: number;
}

/** How to wait between tries, and when to give up, whichever way the options said it. */
export interface RetryPolicy {
  /** The number of retries after the first try (Infinity: until `timeout`). */
  readonly retries: number;
  /** Ms after which no retry starts (Infinity: none). */
  readonly maxTime: number;
  /** The wait before retry `attempt` (from 0); `fraction` in [0, 1) jitters it. */
  delay(attempt: number, fraction: number): number;
}

/** The wait before try `attempt + 1` (attempt counts from 0); `fraction` in [0, 1) jitters it. */
export function backoffDelay(attempt: number, backoff: Backoff | undefined, fraction: number): number {
  const min = backoff?.min ?? 1;
  const max = Math.max(min, backoff?.max ?? 100);
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
  // Half fixed, half random: contenders spread out, yet nobody waits much less than the ceiling.
  return ceiling / 2 + (fraction * ceiling) / 2;
}

const RETRY_KEYS = new Set([
  'retries',
  'factor',
  'minTimeout',
  'maxTimeout',
  'randomize',
  'forever',
  'maxRetryTime',
]);

function invalid(what: string, value: unknown): TypeError {
  return new TypeError(
    `lockfile: option ${what}, got ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
  );
}

/**
 * The policy for `retries` (a count, or proper-lockfile's object) and `backoff`; throws a TypeError naming the
 * option for anything else.
 */
export function retryPolicy(
  retries: number | RetryOptions | undefined,
  backoff: Backoff | undefined,
): RetryPolicy {
  if (retries === undefined || typeof retries === 'number') {
    if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
      throw invalid(
        'retries must be a whole number of tries (0 or more) or { retries, factor, minTimeout, maxTimeout }',
        retries,
      );
    }
    return {
      retries: retries ?? Number.POSITIVE_INFINITY,
      maxTime: Number.POSITIVE_INFINITY,
      delay: (attempt, fraction) => backoffDelay(attempt, backoff, fraction),
    };
  }
  if (typeof retries !== 'object' || retries === null) {
    throw invalid(
      'retries must be a whole number of tries (0 or more) or { retries, factor, minTimeout, maxTimeout }',
      retries,
    );
  }
  for (const key of Object.keys(retries)) {
    if (!RETRY_KEYS.has(key))
      throw invalid(`retries.${key} is not known (known: ${[...RETRY_KEYS].join(', ')})`, retries);
  }
  const count = retries.retries ?? 10;
  const factor = retries.factor ?? 2;
  const minTimeout = retries.minTimeout ?? 1000;
  const maxTimeout = retries.maxTimeout ?? Number.POSITIVE_INFINITY;
  const maxRetryTime = retries.maxRetryTime ?? Number.POSITIVE_INFINITY;
  if (!(Number.isInteger(count) && count >= 0))
    throw invalid('retries.retries must be a whole number (0 or more)', count);
  if (!(factor >= 1)) throw invalid('retries.factor must be a number of 1 or more', factor);
  if (!(minTimeout >= 0)) throw invalid('retries.minTimeout must be a non-negative number of ms', minTimeout);
  if (!(maxTimeout >= minTimeout))
    throw invalid('retries.maxTimeout must be a number of ms not below minTimeout', maxTimeout);
  if (!(maxRetryTime >= 0))
    throw invalid('retries.maxRetryTime must be a non-negative number of ms', maxRetryTime);
  return {
    retries: retries.forever ? Number.POSITIVE_INFINITY : count,
    maxTime: maxRetryTime,
    delay(attempt, fraction) {
      const base = Math.min(
        maxTimeout,
        minTimeout * factor ** Math.min(attempt, retries.forever ? count : attempt),
      );
      return retries.randomize ? base * (1 + fraction) : base;
    },
  };
}
