import type { SourcePosition } from './diagnostic.js';

/** What a job's `run` function gets. */
export interface JobContext {
  readonly job: Job;
  /** Aborted when the run is aborted or the job times out. */
  readonly signal: AbortSignal;
}

/**
 * Exponential backoff after repeated failures: the wait after the n-th failure in a row is
 * `retryAfterFailure × factor^(n-1)`, at most `max` ms.
 */
export interface Backoff {
  /** @default 2 */
  readonly factor?: number;
  /** The longest wait, in ms. @default Infinity */
  readonly max?: number;
}

/**
 * A job the scheduler runs: a shell command (through the executor port) or a `run` function.
 * @example
 * const job: Job = { id: 'mirror:gnu', command: 'rsync -a "$1" /srv/gnu', args: ['rsync://ftp.gnu.org/gnu/'],
 *   retryAfterSuccess: 8 * 3600_000, retryAfterFailure: 3600_000, timeout: 2 * 3600_000, tags: ['nightly'] };
 */
export interface Job {
  /** Unique in a run; the key of its status record and its lock (mm: `site:package`). */
  readonly id: string;
  /** A shell script the executor runs (`sh -c`). One of `command` and `run` is required. */
  readonly command?: string;
  /** The script's positional parameters `$1...`. */
  readonly args?: readonly string[];
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory for the command (mm: the current `home=`). */
  readonly cwd?: string;
  /** Runs in-process instead of a command; resolves to an exit code (nothing = 0), a throw is a failure. */
  readonly run?: (context: JobContext) => Promise<number | undefined> | number | undefined;
  /**
   * Ms after the end of a successful run before the job is eligible again (mm.pl counts from the end too).
   * `Infinity`: never again. @default 0
   */
  readonly retryAfterSuccess?: number;
  /** Ms after the end of a failed run (or the start of one whose end was never recorded). @default 0 */
  readonly retryAfterFailure?: number;
  /** Stretches `retryAfterFailure` after repeated failures. @default none */
  readonly backoff?: Backoff;
  /** Ms before the job is terminated (SIGTERM, then SIGKILL after the grace period) and counted failed. */
  readonly timeout?: number;
  /** Exit codes that count as success. @default [0] */
  readonly successExitCodes?: readonly number[];
  /**
   * `forbid` (default): the job takes its lock first and is skipped if it is already running anywhere (a
   * CronJob's Forbid). `allow`: no lock, runs even if another instance is running.
   */
  readonly concurrencyPolicy?: 'forbid' | 'allow';
  /** Free-form labels, passed through to events (and usable for filtering by the caller). */
  readonly tags?: readonly string[];
  /** Where the job was defined, for messages. */
  readonly at?: SourcePosition;
}

/**
 * A step of a plan, run in order: a job (`skip: true` reports it skipped, as a `skip=` above it asks), a barrier
 * (`cmd=`: wait for all running jobs, then run), or a new limit.
 */
export type Step =
  | { readonly kind: 'job'; readonly job: Job; readonly skip?: boolean }
  | { readonly kind: 'barrier'; readonly job: Job }
  | { readonly kind: 'max'; readonly max: number; readonly at?: SourcePosition };
