import type { Job } from '../job.js';
import { FleetError } from './fleet-error.js';

/** What travels in a pg-boss job: the job (JSON) and what the planner saw of its status. */
export interface FleetJobData {
  readonly job: FleetJobSpec;
  /** `lastEnded` of the job's record when it was planned: a later end means it already ran since. */
  readonly seenLastEnded: number | null;
}

/** The JSON form of a {@link Job} that a worker can run: a command, never a `run` function. */
export interface FleetJobSpec {
  readonly id: string;
  /** The group the per-site limit counts: mm's site (everything before the last `:` of the id). */
  readonly site: string;
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly retryAfterSuccess?: number;
  readonly retryAfterFailure?: number;
  readonly backoff?: { readonly factor?: number; readonly max?: number };
  readonly timeout?: number;
  readonly successExitCodes?: readonly number[];
  readonly tags?: readonly string[];
}

/** mm's site of a job: its `site` field, else everything before the last `:` of its id. */
export function siteOf(job: Job): string {
  const site = (job as { site?: unknown }).site;
  if (typeof site === 'string') return site;
  const colon = job.id.lastIndexOf(':');
  return colon < 0 ? job.id : job.id.slice(0, colon);
}

/** The JSON form of `job`; a job with a `run` function cannot leave this process. */
export function specOf(job: Job): FleetJobSpec {
  if (job.run !== undefined || job.command === undefined) {
    throw new FleetError(
      'EBADJOB',
      `job ${job.id}: only command jobs can run in the fleet (it has a run function)`,
    );
  }
  const finiteMax = job.backoff?.max !== undefined && Number.isFinite(job.backoff.max);
  return {
    id: job.id,
    site: siteOf(job),
    command: job.command,
    ...(job.args ? { args: job.args } : {}),
    ...(job.env ? { env: job.env } : {}),
    ...(job.cwd !== undefined ? { cwd: job.cwd } : {}),
    ...(job.retryAfterSuccess !== undefined ? { retryAfterSuccess: job.retryAfterSuccess } : {}),
    ...(job.retryAfterFailure !== undefined ? { retryAfterFailure: job.retryAfterFailure } : {}),
    ...(job.backoff
      ? {
          backoff: {
            ...(job.backoff.factor === undefined ? {} : { factor: job.backoff.factor }),
            ...(finiteMax ? { max: job.backoff.max } : {}),
          },
        }
      : {}),
    ...(job.timeout !== undefined ? { timeout: job.timeout } : {}),
    ...(job.successExitCodes ? { successExitCodes: job.successExitCodes } : {}),
    ...(job.tags ? { tags: job.tags } : {}),
  };
}
