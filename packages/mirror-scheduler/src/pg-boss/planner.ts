import type { SchedulerEvent } from '../events.js';
import type { Job, Step } from '../job.js';
import { explain, type JobVerdict } from '../scheduler.js';
import type { FleetConnection } from './database.js';
import { type FleetJobData, siteOf, specOf } from './fleet-job.js';
import { fleetSnapshot } from './fleet-store.js';
import { ident } from './schema.js';

/** How {@link enqueueDueJobs} plans: mm's `-o`, `skip=` and `-t`, and the fleet's limits. */
export interface FleetPlanOptions {
  /** Send only these job ids, or the jobs whose `site:package` the pattern matches (mm `-o`). */
  readonly only?: readonly string[] | RegExp;
  /** Never send these (mm `skip=`). */
  readonly skip?: readonly string[];
  /** Ignore the retry timers (mm `-t`). @default false */
  readonly ignoreTimers?: boolean;
  /** Jobs running at once across the whole fleet. @default the plan's last `max` step, else 6 */
  readonly max?: number;
  /** Jobs of one site running at once across the fleet. @default no per-site limit */
  readonly siteMax?: number;
  /** Decide and report, send nothing (mm `--dry-run`). @default false */
  readonly dryRun?: boolean;
  /** Called with a `queued` event for each job sent, `skipped` for each not sent, `would-run` in a dry run. */
  readonly onEvent?: (event: SchedulerEvent) => void;
}

/** What a plan sent to the fleet. */
export interface FleetPlanSummary {
  /** Ids sent to the queue now. */
  readonly queued: readonly string[];
  /** Ids that were due but already queued or running in the fleet (the exclusive queue refused a second). */
  readonly alreadyQueued: readonly string[];
  /** `cmd=` steps: not run by the fleet (they run where a plan is run by `runJobs`). */
  readonly barriers: readonly Job[];
  readonly verdicts: readonly JobVerdict[];
  readonly max: number;
}

/**
 * Decides which jobs are due, exactly as the single-host scheduler does ({@link explain}: retry timers from
 * the shared status, `only`, `skip`, running jobs), and sends each due job to the fleet's pg-boss queue with
 * its `site:package` as the singleton key (the `exclusive` policy refuses a second queued-or-running one) and
 * its site as the group. It also sets the fleet's global and per-site limits.
 * @throws {FleetError} `EBADJOB` for a job with a `run` function.
 * @example
 * const fleet = await connectFleet({ url });
 * const { queued } = await enqueueDueJobs(fleet, plan.steps, { skip: plan.skip, siteMax: 2 });
 */
export async function enqueueDueJobs(
  fleet: FleetConnection,
  entries: readonly (Step | Job)[],
  options: FleetPlanOptions = {},
): Promise<FleetPlanSummary> {
  const steps: Step[] = entries.map((e) => ('kind' in e ? e : { kind: 'job', job: e }));
  let max = 6;
  for (const step of steps) if (step.kind === 'max') max = step.max;
  max = options.max ?? max;
  const jobs = steps.flatMap((step) => (step.kind === 'job' ? [step.job] : []));
  const barriers = steps.flatMap((step) => (step.kind === 'barrier' ? [step.job] : []));
  for (const job of jobs) specOf(job); // refuse run functions before anything is sent
  if (!options.dryRun) await setLimits(fleet, max, options.siteMax, [...new Set(jobs.map(siteOf))]);
  const snapshot = await fleetSnapshot(fleet.db);
  const verdicts = await explain(jobs, {
    store: snapshot.store,
    locks: snapshot.locks,
    clock: { now: () => snapshot.now },
    ...(options.ignoreTimers ? { ignoreTimers: true } : {}),
    ...(options.only ? { only: options.only } : {}),
    ...(options.skip ? { skip: options.skip } : {}),
  });
  const queued: string[] = [];
  const alreadyQueued: string[] = [];
  const emit = (event: SchedulerEvent) => options.onEvent?.(event);
  for (const v of verdicts) {
    const at = Date.now();
    if (!v.wouldRun) {
      emit({
        type: 'skipped',
        job: v.job,
        reason: v.reason ?? 'aborted',
        detail: v.detail,
        ...(v.nextEligible === undefined ? {} : { nextEligible: v.nextEligible }),
        ...(v.holder === undefined ? {} : { holder: v.holder }),
        at,
      });
      continue;
    }
    if (options.dryRun) {
      emit({ type: 'would-run', job: v.job, detail: v.detail, at });
      continue;
    }
    const spec = specOf(v.job);
    const data: FleetJobData = { job: spec, seenLastEnded: v.record?.lastEnded ?? null };
    const id = await fleet.boss.send(fleet.queue, data as unknown as object, {
      singletonKey: spec.id,
      group: { id: spec.site },
    });
    fleet.db.roundTrips += 1;
    if (id === null) {
      alreadyQueued.push(spec.id);
      emit({ type: 'skipped', job: v.job, reason: 'locked', detail: 'already queued in the fleet', at });
    } else {
      queued.push(spec.id);
      emit({ type: 'queued', job: v.job, at });
    }
  }
  return { queued, alreadyQueued, barriers, verdicts, max };
}

/** Sets the limits and makes sure there are enough slot rows for them. */
async function setLimits(fleet: FleetConnection, max: number, siteMax: number | undefined, sites: string[]) {
  const s = ident(fleet.db.schema);
  const scopes = ['global', ...(siteMax === undefined ? [] : sites.map((site) => `site:${site}`))];
  const maxes = scopes.map((scope) => (scope === 'global' ? max : (siteMax ?? max)));
  await fleet.db.transaction(async ({ query }) => {
    await query(
      `INSERT INTO ${s}.limits (scope, max) SELECT * FROM unnest($1::text[], $2::int[])
         ON CONFLICT (scope) DO UPDATE SET max = EXCLUDED.max`,
      [scopes, maxes],
    );
    if (siteMax === undefined && sites.length) {
      await query(`DELETE FROM ${s}.limits WHERE scope = ANY($1::text[])`, [sites.map((x) => `site:${x}`)]);
    }
    await query(
      `INSERT INTO ${s}.slots (scope, n)
         SELECT scope, generate_series(0, max - 1) FROM ${s}.limits WHERE scope = ANY($1::text[])
         ON CONFLICT DO NOTHING`,
      [scopes],
    );
  }, 5_000);
}
