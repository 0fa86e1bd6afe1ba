// The mm fleet: `mm --fleet URL CONFIG` plans and enqueues, `mm worker --fleet URL` runs jobs, `mm --status
// --fleet URL` shows who runs what, `mm --cancel ID --fleet URL` stops a job. The scheduling is
// @suite/mirror-scheduler's; this file parses the command line, reads the configuration and prints.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ConfigSource, loadConfig } from '@suite/mirror-scheduler/mm';
import {
  formatDiagnostic,
  interrupted,
  nodeConfigHost,
  renderStatusPage,
  type SchedulerEvent,
} from '@suite/mirror-scheduler/node';
import type { FleetConnection, FleetStatus } from '@suite/mirror-scheduler/pg-boss';
import { type MmArgs, onlyPattern, parseMmArgs, UsageError } from './args.js';
import { writePage } from './status-page-file.js';

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);

export const FLEET_USAGE = `Usage: mm --fleet URL [-t] [-o site:package]... [--max N] [--site-max N] [--dry-run] [config-file...]
       mm worker --fleet URL [--max N] [--lease SECONDS] [--grace SECONDS]
       mm --status [--json | --html [FILE.html]] --fleet URL
       mm serve --fleet URL [--listen HOST:PORT]
       mm --cancel site:package --fleet URL

A fleet of mm workers on a PostgreSQL database (through pg-boss; needs Node >= 22.12 and npm install pg-boss pg).
  --fleet URL         the database: postgres://user@host:port/db
  --max N             planner: jobs at once across the fleet (default: the config's max=, else 6);
                      worker: jobs at once on this worker (default 6)
  --site-max N        planner: jobs of one site at once across the fleet (default: no limit)
  --lease SECONDS     worker: a run's lease; a dead worker's jobs are rerun after it (default 30)
  --html [FILE.html]  with --status: the status page of the fleet (its jobs, workers, heartbeats)
  --cancel ID         stop that job wherever it runs, or take it off the queue
  --dry-run, --why ID planner: say what would be queued (or why not), queue nothing
`;

/** Whether argv asks for the fleet: `mm worker ...` or any `--fleet`. */
export function isFleetCommand(argv: readonly string[]): boolean {
  if (argv[0] === 'serve') return false; // mm serve --fleet URL: serve.ts
  return argv[0] === 'worker' || argv.some((a) => a === '--fleet' || a.startsWith('--fleet='));
}

interface FleetArgs {
  readonly url: string;
  readonly max?: number;
  readonly siteMax?: number;
  readonly leaseSeconds?: number;
  readonly cancel?: string;
  readonly worker: boolean;
  readonly mm: MmArgs;
}

const FLEET_OPTIONS = new Set(['--fleet', '--max', '--site-max', '--lease', '--cancel']);

function count(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n < min)
    throw new UsageError(`${flag} ${value}: not a number >= ${min}`);
  return n;
}

/** Takes the fleet's options out of argv and leaves the rest to mm's own parser. */
export function parseFleetArgs(argv: readonly string[]): FleetArgs {
  const worker = argv[0] === 'worker';
  const rest: string[] = [];
  const values = new Map<string, string>();
  let i = worker ? 1 : 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--' || arg === '-' || !arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!FLEET_OPTIONS.has(name)) {
      rest.push(arg);
      if ((arg === '--why' || arg === '--grace' || arg === '-o') && argv[i + 1] !== undefined)
        rest.push(argv[++i]!);
      // --html takes FILE as mm's parser does: `-` or a name ending in .html.
      else if (arg === '--html' && argv[i + 1] !== undefined && /^-$|\.html?$/i.test(argv[i + 1]!))
        rest.push(argv[++i]!);
      continue;
    }
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    values.set(name, value);
  }
  rest.push(...argv.slice(i));
  const url = values.get('--fleet');
  if (url === undefined) throw new UsageError('mm worker needs --fleet URL');
  if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError(`--fleet ${url}: not a postgres:// URL`);
  const parsed = parseMmArgs(rest);
  onlyPattern(parsed.only); // refuse a bad -o pattern here, as a usage error
  // --why ID with --fleet: the planner's dry run of that one job.
  const mm: MmArgs = parsed.why === undefined ? parsed : { ...parsed, dryRun: true };
  if (worker && mm.files.length)
    throw new UsageError('mm worker takes no configuration files: the planner sends the jobs');
  const max = values.get('--max');
  const siteMax = values.get('--site-max');
  const lease = values.get('--lease');
  const cancel = values.get('--cancel');
  return {
    url,
    worker,
    mm,
    ...(max === undefined ? {} : { max: count('--max', max, 1) }),
    ...(siteMax === undefined ? {} : { siteMax: count('--site-max', siteMax, 1) }),
    ...(lease === undefined ? {} : { leaseSeconds: count('--lease', lease, 0.1) }),
    ...(cancel === undefined ? {} : { cancel }),
  };
}

function nodeTooOld(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major < 22 || (major === 22 && minor < 12);
}

async function readSources(files: readonly string[]): Promise<ConfigSource[]> {
  const stdin = async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  if (files.length === 0) return [{ name: '-', text: await stdin() }];
  const sources: ConfigSource[] = [];
  for (const f of files)
    sources.push({ name: f, text: f === '-' ? await stdin() : await readFile(f, 'utf8') });
  return sources;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function eventLine(e: SchedulerEvent, debug: number): string | undefined {
  switch (e.type) {
    case 'queued':
      return `${e.job.id}: queued in the fleet`;
    case 'would-run':
      return `${e.job.id}: would be queued: ${e.detail}`;
    case 'skipped':
      return e.reason === 'not-selected' && debug === 0
        ? undefined
        : `${e.job.id}: skipped (${e.reason}): ${e.detail}`;
    case 'started':
      return `${e.job.id}: started${e.pid === undefined ? '' : `, pid ${e.pid}`}`;
    case 'finished': {
      if (e.ok) return `${e.job.id}: done in ${seconds(e.durationMs)}`;
      const how = e.error
        ? `could not start: ${e.error}`
        : e.signal
          ? `killed by ${e.signal}`
          : `exit ${e.exitCode}`;
      return `${e.job.id}: FAILED: ${e.timedOut ? 'timed out, ' : ''}${how} after ${seconds(e.durationMs)}`;
    }
    case 'error':
      return `${e.job.id}: FAILED: ${e.message}`;
    default:
      return undefined;
  }
}

/** `mm --fleet ...` and `mm worker --fleet ...`. */
export async function fleetMain(argv: readonly string[]): Promise<number> {
  let args: FleetArgs;
  try {
    args = parseFleetArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`mm: ${error.message}\n${FLEET_USAGE}`);
    return 2;
  }
  if (args.mm.help) {
    out(FLEET_USAGE);
    return 0;
  }
  if (nodeTooOld()) {
    err(`mm: the fleet runs on pg-boss 12, which needs Node >= 22.12; this is Node ${process.version}\n`);
    return 2;
  }
  const { connectFleet, FleetError } = await import('@suite/mirror-scheduler/pg-boss');
  let plan: Awaited<ReturnType<typeof loadConfig>> | undefined;
  if (!args.worker && !args.mm.status && args.cancel === undefined) {
    const loaded = await loadPlan(args);
    if (typeof loaded === 'number') return loaded;
    plan = loaded;
  }
  let fleet: FleetConnection;
  try {
    fleet = await connectFleet({ url: args.url });
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    err(`mm: fleet ${redact(args.url)}: ${error.message}\n`);
    return 2;
  }
  try {
    if (args.worker) return await work(fleet, args);
    if (args.mm.status) return await status(fleet, args);
    if (args.cancel !== undefined) {
      const found = await (await import('@suite/mirror-scheduler/pg-boss')).cancelFleetJob(
        fleet,
        args.cancel,
      );
      const said = {
        running: 'cancelled: its worker stops it at its next heartbeat',
        queued: 'taken off the queue',
        none: 'neither queued nor running in the fleet',
      }[found];
      err(`mm: ${args.cancel}: ${said}\n`);
      return found === 'none' ? 1 : 0;
    }
    return await enqueue(fleet, args, plan!);
  } catch (error) {
    err(`mm: fleet: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await fleet.close();
  }
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

async function loadPlan(args: FleetArgs) {
  let sources: ConfigSource[];
  try {
    sources = await readSources(args.mm.files);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    err(`mm: cannot read ${e.path ?? 'the configuration'}: ${e.code ?? e.message}\n`);
    return 2;
  }
  const plan = await loadConfig(sources, nodeConfigHost, {
    home: process.cwd(),
    extraArgs: args.mm.mirrorArgs,
  });
  for (const d of plan.diagnostics) err(`mm: ${formatDiagnostic(d)}\n`);
  if (plan.hasErrors) {
    err('mm: configuration errors: nothing was queued\n');
    return 2;
  }
  const known = new Set(plan.jobs.map((j) => j.id));
  if (args.mm.why !== undefined && !known.has(args.mm.why)) {
    err(`mm: no such job in the configuration: ${args.mm.why}\n`);
    return 2;
  }
  return plan;
}

async function enqueue(
  fleet: FleetConnection,
  args: FleetArgs,
  plan: Awaited<ReturnType<typeof loadConfig>>,
) {
  const { enqueueDueJobs } = await import('@suite/mirror-scheduler/pg-boss');
  if (!args.mm.dryRun) for (const home of plan.homes) await mkdir(join(home, 'logs'), { recursive: true });
  const summary = await enqueueDueJobs(fleet, plan.steps, {
    skip: plan.skip,
    ...(args.mm.why !== undefined
      ? { only: [args.mm.why] }
      : args.mm.only !== undefined
        ? { only: onlyPattern(args.mm.only) as RegExp }
        : {}),
    ignoreTimers: args.mm.ignoreTimers,
    dryRun: args.mm.dryRun,
    ...(args.max === undefined ? {} : { max: args.max }),
    ...(args.siteMax === undefined ? {} : { siteMax: args.siteMax }),
    onEvent: (e) => {
      const line = eventLine(e, args.mm.debug);
      if (line !== undefined) out(`mm: ${line}\n`);
    },
  });
  for (const b of summary.barriers)
    err(`mm: ${b.at?.file}:${b.at?.line}: warning: ${b.id} is not run by the fleet\n`);
  if (!args.mm.dryRun) {
    const skipped = summary.verdicts.filter((v) => !v.wouldRun).length;
    out(
      `mm: fleet: ${summary.queued.length} queued, ${summary.alreadyQueued.length} already queued or running, ${skipped} not due (max ${summary.max}${args.siteMax ? `, ${args.siteMax} per site` : ''})\n`,
    );
  }
  return 0;
}

async function work(fleet: FleetConnection, args: FleetArgs): Promise<number> {
  const { runFleetWorker, fleetExecutor, deathSignalAvailable } = await import(
    '@suite/mirror-scheduler/pg-boss'
  );
  if (!deathSignalAvailable()) err('mm: worker: setpriv not found: jobs will not die with this worker\n');
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stoppedBy ??= signal;
    err(`mm: worker: ${signal}: stopping; running jobs get SIGTERM\n`);
    stop.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    const summary = await runFleetWorker(fleet, {
      max: args.max ?? 6,
      ...(args.leaseSeconds === undefined ? {} : { leaseMs: args.leaseSeconds * 1000 }),
      killGraceMs: args.mm.graceSeconds * 1000,
      executor: fleetExecutor(),
      signal: stop.signal,
      onEvent: (e) => {
        const line = eventLine(e, args.mm.debug);
        if (line !== undefined) out(`mm: ${line}\n`);
      },
    });
    out(
      `mm: worker ${summary.worker}: ${summary.started} ran, ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.lost} lost their lease${stoppedBy ? `; stopped by ${stoppedBy}` : ''}\n`,
    );
    return 0;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}

const ago = (now: Date, then: Date) => `${((now.getTime() - then.getTime()) / 1000).toFixed(1)}s ago`;
const iso = (ms: number | undefined) =>
  ms === undefined || !Number.isFinite(ms) ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => `${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}\n`)
    .join('');
}

/** The fleet as text: its workers with their heartbeats and jobs, then every job's last result. */
export function formatFleetStatus(s: FleetStatus): string {
  const limits = Object.entries(s.limits)
    .map(([scope, l]) => `${scope} ${l.used}/${l.max}`)
    .join(', ');
  const workers = table([
    ['WORKER', 'HOST', 'PID', 'MAX', 'HEARTBEAT', 'STATE', 'RUNNING'],
    ...s.workers.map((w) => [
      w.worker,
      w.hostname,
      String(w.pid),
      String(w.max),
      ago(s.now, w.heartbeat),
      w.stopped ? 'stopped' : w.alive ? 'alive' : 'silent',
      w.running
        .map((r) => `${r.jobId} (fence ${r.fence}${r.pid === null ? '' : `, pid ${r.pid}`})`)
        .join(', ') || '-',
    ]),
  ]);
  const jobs = table([
    ['JOB', 'LAST', 'STARTED', 'ENDED', 'FAILURES', 'RUNNING ON'],
    ...s.jobs.map((j) => [
      j.id,
      j.running ? 'running' : interrupted(j.record) ? 'interrupted' : j.record.lastOk ? 'ok' : 'failed',
      iso(j.record.lastStarted),
      iso(j.record.lastEnded),
      String(j.record.consecutiveFailures),
      j.running ? `${j.running.worker} (fence ${j.running.fence})` : '-',
    ]),
  ]);
  return `mm fleet: ${s.workers.filter((w) => w.alive).length} workers alive, ${s.queued} queued; limits: ${limits || 'none'}\n\n${workers}\n${jobs}`;
}

async function status(fleet: FleetConnection, args: FleetArgs): Promise<number> {
  const { fleetStatus, fleetStatusSnapshot } = await import('@suite/mirror-scheduler/pg-boss');
  if (args.mm.html !== undefined) {
    const { snapshot } = await fleetStatusSnapshot(fleet);
    return writePage(renderStatusPage(snapshot), args.mm.html); // the page mm serve --fleet serves
  }
  const s = await fleetStatus(fleet);
  out(args.mm.json ? `${JSON.stringify(s, null, 2)}\n` : formatFleetStatus(s));
  return 0;
}
