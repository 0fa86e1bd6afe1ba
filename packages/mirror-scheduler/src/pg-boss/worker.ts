import type { SchedulerEvent } from '../events.js';
import type { Job } from '../job.js';
import { hostName, newWorkerName } from '../node/fleet-host.js';
import type { Executor, ExitResult, RunningProcess } from '../ports.js';
import { recordFinished } from '../status-record.js';
import type { FleetConnection } from './database.js';
import { fleetExecutor } from './fleet-executor.js';
import { type Claim, Leases } from './leases.js';
import { ident } from './schema.js';

/** How a fleet worker runs. */
export interface FleetWorkerOptions {
  /** Jobs this worker runs at once (the fleet's global and per-site limits apply as well). @default 6 */
  readonly max?: number;
  /** How long a run's lease lasts without a heartbeat; a dead worker's jobs are rerun after it. @default 30000 */
  readonly leaseMs?: number;
  /** Between heartbeats (lease renewals, cancellation checks, sweeps of expired leases). @default leaseMs / 3 */
  readonly heartbeatMs?: number;
  /** Between looks at the queue when it was empty or the limits were reached. @default 500 */
  readonly pollMs?: number;
  /** Runs the commands. @default fleetExecutor() (jobs die with the worker) */
  readonly executor?: Executor;
  /** Between SIGTERM and SIGKILL when a job is stopped (timeout, cancel, shutdown). @default 10000 */
  readonly killGraceMs?: number;
  /** This worker's name in the fleet's tables. @default `HOSTNAME:PID:RANDOM` */
  readonly name?: string;
  /** Stops the worker: nothing more is claimed, running jobs get SIGTERM, their ends are recorded. */
  readonly signal?: AbortSignal;
  /** Stop once the queue is empty and nothing runs (for scripts and tests). @default false */
  readonly exitWhenIdle?: boolean;
  /** Called with `started`, `finished` and `error` events, as the single-host scheduler emits them. */
  readonly onEvent?: (event: SchedulerEvent) => void;
}

/** What a worker did before it stopped. */
export interface FleetWorkerSummary {
  readonly worker: string;
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Runs whose lease was lost (their results refused, their processes killed). */
  readonly lost: number;
  /** Statements sent to the database by this worker (its own; pg-boss's fetch and settle included). */
  readonly roundTrips: number;
}

interface Running {
  readonly claim: Claim;
  readonly job: Job;
  /** Date.now() when it was claimed: durations are measured locally from the database's start time. */
  readonly localStart: number;
  process?: RunningProcess;
  lost: boolean;
  cancelled: boolean;
  terminating: boolean;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Runs jobs from the fleet's queue until stopped: claims a job with its slots and a fenced lease, runs it with
 * the executor, renews the lease while it runs, and records its end only if the lease is still its own. A job
 * whose lease is lost (this worker was stopped or cut off past the lease) is killed and its result refused.
 * @example
 * const fleet = await connectFleet({ url: 'postgres://mm@db/mirrors' });
 * const stop = new AbortController();
 * process.on('SIGTERM', () => stop.abort());
 * await runFleetWorker(fleet, { max: 4, signal: stop.signal, onEvent: (e) => console.log(e.type, 'job' in e ? e.job.id : '') });
 */
export async function runFleetWorker(
  fleet: FleetConnection,
  options: FleetWorkerOptions = {},
): Promise<FleetWorkerSummary> {
  return new FleetWorker(fleet, options).run();
}

class FleetWorker {
  readonly #name: string;
  readonly #leases: Leases;
  readonly #max: number;
  readonly #leaseMs: number;
  readonly #executor: Executor;
  readonly #running = new Map<string, Running>();
  readonly #stop = new AbortController();
  readonly #wakers = new Set<() => void>();
  #started = 0;
  #succeeded = 0;
  #failed = 0;
  #lost = 0;
  #lastRenewal = Date.now();
  readonly #active = new Set<Promise<void>>();

  constructor(
    readonly fleet: FleetConnection,
    readonly options: FleetWorkerOptions,
  ) {
    this.#name = options.name ?? newWorkerName();
    this.#max = options.max ?? 6;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#leases = new Leases(fleet.db, fleet.boss, fleet.queue, this.#leaseMs);
    this.#executor = options.executor ?? fleetExecutor();
  }

  #emit(event: SchedulerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a listener's mistake does not stop the worker
    }
  }

  async run(): Promise<FleetWorkerSummary> {
    const s = ident(this.fleet.db.schema);
    await this.fleet.db.query(
      `INSERT INTO ${s}.workers (worker, hostname, pid, max, lease_ms, started, heartbeat)
       VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp())
       ON CONFLICT (worker) DO UPDATE SET heartbeat = clock_timestamp(), stopped = NULL`,
      [this.#name, hostName(), process.pid, this.#max, this.#leaseMs],
      10_000,
    );
    // Workers long gone leave the status table after a day.
    await this.fleet.db
      .query(`DELETE FROM ${s}.workers WHERE heartbeat < clock_timestamp() - interval '1 day'`)
      .catch(() => {});
    const onAbort = () => this.#stop.abort();
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.options.signal?.aborted) this.#stop.abort();
    const heartbeatMs = this.options.heartbeatMs ?? Math.max(50, Math.floor(this.#leaseMs / 3));
    const heartbeat = setInterval(() => void this.#heartbeat(), heartbeatMs);
    try {
      await this.#heartbeat();
      // Two claims in flight hide a claim's round trips behind the other's (one is enough for max 1).
      await Promise.all(Array.from({ length: Math.min(this.#max, 2) }, () => this.#claimLoop()));
      for (const r of this.#running.values()) this.#terminate(r);
      while (this.#active.size) await Promise.all(this.#active);
    } finally {
      clearInterval(heartbeat);
      this.options.signal?.removeEventListener('abort', onAbort);
      await this.fleet.db
        .query(`UPDATE ${s}.workers SET stopped = clock_timestamp() WHERE worker = $1`, [this.#name])
        .catch(() => {});
    }
    return {
      worker: this.#name,
      started: this.#started,
      succeeded: this.#succeeded,
      failed: this.#failed,
      lost: this.#lost,
      roundTrips: this.fleet.db.roundTrips,
    };
  }

  #claiming = 0;

  async #claimLoop(): Promise<void> {
    const pollMs = this.options.pollMs ?? 500;
    while (!this.#stop.signal.aborted) {
      if (this.#running.size + this.#claiming >= this.#max) {
        await this.#nextWake(pollMs);
        continue;
      }
      let claimed: Awaited<ReturnType<Leases['claim']>>;
      this.#claiming += 1;
      try {
        claimed = await this.#leases.claim(this.#name);
      } catch {
        await sleep(pollMs, this.#stop.signal); // the database is away: try again
        continue;
      } finally {
        this.#claiming -= 1;
      }
      if (typeof claimed === 'object') {
        this.#launch(claimed);
        continue;
      }
      if (claimed === 'done') continue;
      if (
        claimed === 'empty' &&
        this.options.exitWhenIdle &&
        this.#running.size === 0 &&
        this.#claiming === 0
      )
        break;
      // 'busy' is a race for a slot lost to another worker: try again soon, not at once.
      await this.#nextWake(claimed === 'busy' ? Math.min(pollMs, 20 + Math.random() * 50) : pollMs);
    }
  }

  /** Waits for `ms`, or less if a job of this worker ends (its slot is free again). */
  #nextWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#wakers.delete(done);
        this.#stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#wakers.add(done);
      this.#stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  #launch(claim: Claim): void {
    const spec = claim.data.job;
    const job: Job = {
      ...spec,
      env: { ...spec.env, MM_FENCE: String(claim.fence), MM_WORKER: this.#name },
    };
    const running: Running = {
      claim,
      job,
      localStart: Date.now(),
      lost: false,
      cancelled: false,
      terminating: false,
    };
    this.#running.set(spec.id, running);
    this.#started += 1;
    const active = this.#execute(running).finally(() => {
      this.#running.delete(spec.id);
      this.#active.delete(active);
      for (const wake of [...this.#wakers]) wake();
    });
    this.#active.add(active);
  }

  async #execute(r: Running): Promise<void> {
    const { claim, job } = r;
    const begun = claim.started.lastStarted ?? Date.now();
    let result: ExitResult;
    let timedOut = false;
    try {
      r.process = await this.#executor.start(job);
    } catch (error) {
      r.process = undefined;
      result = {
        exitCode: null,
        signal: null,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (r.process) {
      const { pid } = r.process;
      if (pid !== undefined) await this.#leases.markStarted(claim, pid).catch(() => {});
      this.#emit({ type: 'started', job, ...(pid === undefined ? {} : { pid }), at: begun });
      if (r.lost) r.process.kill('SIGKILL');
      else if (this.#stop.signal.aborted || r.cancelled) this.#terminate(r);
      if (job.timeout !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          this.#terminate(r);
        }, job.timeout);
      }
      result = await r.process.exited;
      if (timer) clearTimeout(timer);
    }
    result ??= { exitCode: null, signal: null, error: 'not started' };
    if (r.lost) return this.#refused(r, 'its lease was lost before it ended');
    const ok =
      result.error === undefined &&
      !timedOut &&
      result.signal === null &&
      result.exitCode !== null &&
      (job.successExitCodes ?? [0]).includes(result.exitCode);
    let recorded: boolean;
    let endedAt = Date.now();
    try {
      const record = recordFinished(job, claim.started, begun + (Date.now() - r.localStart), {
        exitCode: result.exitCode,
        signal: result.signal,
        ok,
      });
      endedAt = record.lastEnded ?? endedAt;
      recorded = await this.#leases.finish(claim, record, {
        ok,
        exitCode: result.exitCode,
        signal: result.signal,
        cancelled: r.cancelled,
      });
    } catch (error) {
      this.#failed += 1;
      this.#emit({
        type: 'error',
        job,
        message: `status not stored: ${error instanceof Error ? error.message : String(error)}`,
        at: Date.now(),
      });
      return;
    }
    if (!recorded) return this.#refused(r, 'its lease was taken over');
    if (ok) this.#succeeded += 1;
    else this.#failed += 1;
    this.#emit({
      type: 'finished',
      job,
      exitCode: result.exitCode,
      signal: result.signal,
      ok,
      timedOut,
      durationMs: endedAt - begun,
      ...(result.error === undefined ? {} : { error: result.error }),
      at: endedAt,
    });
  }

  #refused(r: Running, why: string): void {
    this.#lost += 1;
    r.process?.kill('SIGKILL');
    this.#emit({
      type: 'error',
      job: r.job,
      message: `result refused (fence ${r.claim.fence}): ${why}; the job was killed`,
      at: Date.now(),
    });
  }

  #terminate(r: Running): void {
    if (r.terminating || !r.process) return;
    r.terminating = true;
    const process = r.process;
    process.kill('SIGTERM');
    const grace = setTimeout(() => process.kill('SIGKILL'), this.options.killGraceMs ?? 10_000);
    process.exited.then(() => clearTimeout(grace));
  }

  #beating = false;

  async #heartbeat(): Promise<void> {
    if (this.#beating) return;
    this.#beating = true;
    try {
      const runs = [...this.#running.values()].filter((r) => !r.lost);
      const { lost, cancel } = await this.#leases.renew(
        this.#name,
        runs.map((r) => ({ jobId: r.job.id, fence: r.claim.fence })),
      );
      this.#lastRenewal = Date.now();
      for (const r of runs) {
        if (lost.has(r.job.id)) this.#loseLease(r);
        else if (cancel.has(r.job.id) && !r.cancelled) {
          r.cancelled = true;
          this.#terminate(r);
        }
      }
      await this.#leases.sweep();
    } catch {
      // Cut off from the database for longer than a lease: another worker may take these jobs over, so they
      // must not run on here (the database will refuse their results anyway).
      if (Date.now() - this.#lastRenewal > this.#leaseMs) {
        for (const r of this.#running.values()) this.#loseLease(r);
      }
    } finally {
      this.#beating = false;
    }
  }

  #loseLease(r: Running): void {
    if (r.lost) return;
    r.lost = true;
    r.process?.kill('SIGKILL');
  }
}
