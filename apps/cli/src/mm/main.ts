import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ConfigSource,
  explain,
  formatDiagnostic,
  formatStatusFile,
  loadConfig,
  type MirrorPlan,
  nodeConfigHost,
  type RunSummary,
  runHistoryRecorder,
  runJobs,
  type SchedulerEvent,
  shellExecutor,
  statusFileStore,
  statusLineOf,
} from '@suite/mirror-scheduler/node';
import { MM_USAGE, type MmArgs, parseMmArgs, UsageError } from './args.js';
import { LiveView } from './live-view.js';
import { lockfileFileLock, lockfileJobLocks } from './lock-ports.js';
import { serveMain } from './serve.js';
import { writeStatusPage } from './status-page-file.js';
import { mmHistory } from './status-snapshot.js';
import { formatStatusTable, formatVerdicts, statusRow } from './status-table.js';

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readSources(files: readonly string[]): Promise<ConfigSource[]> {
  if (files.length === 0) return [{ name: '-', text: await readStdin() }];
  const sources: ConfigSource[] = [];
  for (const file of files) {
    sources.push({ name: file, text: file === '-' ? await readStdin() : await readFile(file, 'utf8') });
  }
  return sources;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function describeEnd(e: Extract<SchedulerEvent, { type: 'finished' }>): string {
  if (e.error) return `could not start: ${e.error}`;
  if (e.timedOut) return `timed out (${e.signal ?? `exit ${e.exitCode}`})`;
  return e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode}`;
}

/** The plain log line for an event, or nothing at this debug level. */
function logLine(e: SchedulerEvent, debug: number): string | undefined {
  switch (e.type) {
    case 'queued':
      return debug > 0 ? `${e.job.id}: queued` : undefined;
    case 'skipped':
      return e.reason === 'not-selected' && debug === 0
        ? undefined
        : `${e.job.id}: skipped (${e.reason}): ${e.detail}`;
    case 'would-run':
      return `${e.job.id}: would run: ${e.detail}`;
    case 'started':
      return `${e.job.id}: started${e.pid === undefined ? '' : `, pid ${e.pid}`}`;
    case 'barrier':
      return `${e.job.id}: every job before it has ended; running`;
    case 'finished':
      return e.ok
        ? `${e.job.id}: done in ${seconds(e.durationMs)}`
        : `${e.job.id}: FAILED: ${describeEnd(e)} after ${seconds(e.durationMs)}`;
    case 'error':
      return `${e.job.id}: FAILED: ${e.message}`;
    case 'done':
      return undefined;
  }
}

function summaryLine(s: RunSummary): string {
  const skipped = Object.entries(s.skipped).filter(([, n]) => n > 0);
  const total = skipped.reduce((sum, [, n]) => sum + n, 0);
  const detail = skipped.length ? ` (${skipped.map(([r, n]) => `${r} ${n}`).join(', ')})` : '';
  const stopped = s.aborted ? '; stopped by a signal' : '';
  return `mm: ${s.started} ran, ${s.succeeded} succeeded, ${s.failed} failed, ${total} skipped${detail} in ${seconds(s.durationMs)}${stopped}\n`;
}

async function printStatus(plan: MirrorPlan, args: MmArgs): Promise<number> {
  const store = statusFileStore({ fileLock: lockfileFileLock });
  const locks = lockfileJobLocks(process.cwd());
  const rows = [];
  for (const job of plan.jobs) rows.push(statusRow(job, await store.read(job), await locks.holder(job)));
  out(args.json ? `${JSON.stringify(rows, null, 2)}\n` : formatStatusTable(rows, Date.now()));
  return 0;
}

async function run(plan: MirrorPlan, args: MmArgs): Promise<number> {
  for (const home of plan.homes) await mkdir(join(home, 'logs'), { recursive: true });
  const store = statusFileStore({ fileLock: lockfileFileLock });
  if (args.statusDebug) {
    const write = store.write.bind(store);
    store.write = async (job, record) => {
      await write(job, record);
      err(`mm: status: ${formatStatusFile([{ kind: 'job', line: statusLineOf(record) }])}`);
    };
  }
  const controller = new AbortController();
  let stoppedBy: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stoppedBy ??= signal;
    err(`mm: ${signal}: stopping every job\n`);
    controller.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const history = args.dryRun ? undefined : runHistoryRecorder(mmHistory(), { signal: controller.signal });
  const live =
    process.stdout.isTTY && !args.quiet && !args.dryRun
      ? new LiveView(plan.jobs.length, process.stdout)
      : undefined;
  try {
    const jobRun = runJobs(plan.steps, {
      executor: shellExecutor(),
      store,
      locks: lockfileJobLocks(process.cwd()),
      ignoreTimers: args.ignoreTimers,
      ...(args.only.length ? { only: args.only } : {}),
      skip: plan.skip,
      dryRun: args.dryRun,
      signal: controller.signal,
      killGraceMs: args.graceSeconds * 1000,
      onEvent: (e) => {
        history?.event(e);
        if (live && args.debug === 0) return live.event(e);
        const line = logLine(e, args.debug);
        if (line !== undefined) out(`mm: ${line}\n`);
      },
    });
    const summary = await jobRun.summary;
    await history
      ?.settled()
      .catch((e: unknown) => err(`mm: run history not stored: ${(e as Error).message}\n`));
    live?.stop();
    if (!args.dryRun) out(summaryLine(summary));
    return summary.failed > 0 || summary.barriersFailed > 0 || summary.aborted || stoppedBy ? 1 : 0;
  } finally {
    live?.stop();
    for (const s of signals) process.off(s, onSignal);
  }
}

/** `mm`: Mirror Master. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'serve') return serveMain(argv.slice(1));
  let args: MmArgs;
  try {
    args = parseMmArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`mm: ${error.message}\n${MM_USAGE}`);
    return 2;
  }
  if (args.help) {
    out(MM_USAGE);
    return 0;
  }
  let sources: ConfigSource[];
  try {
    sources = await readSources(args.files);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    err(`mm: cannot read ${e.path ?? 'the configuration'}: ${e.code ?? e.message}\n`);
    return 2;
  }
  const plan = await loadConfig(sources, nodeConfigHost, { home: process.cwd(), extraArgs: args.mirrorArgs });
  for (const d of plan.diagnostics) err(`mm: ${formatDiagnostic(d)}\n`);
  if (plan.hasErrors) {
    err('mm: configuration errors: nothing was run\n');
    return 2;
  }
  const known = new Set(plan.jobs.map((j) => j.id));
  const unknown = [...args.only, ...(args.why === undefined ? [] : [args.why])].filter(
    (id) => !known.has(id),
  );
  if (unknown.length) {
    err(`mm: no such job in the configuration: ${unknown.join(', ')}\n`);
    return 2;
  }
  if (args.debug > 1) {
    for (const step of plan.steps) {
      err(
        `mm: plan: ${step.kind === 'max' ? `max=${step.max}` : `${step.kind} ${step.job.id} in ${step.job.cwd}: ${step.job.command}`}\n`,
      );
    }
  }
  if (args.status && args.html !== undefined) return writeStatusPage(plan, args.html);
  if (args.status) return printStatus(plan, args);
  if (args.why !== undefined || (args.dryRun && args.json)) {
    const verdicts = await explain(plan.steps, {
      store: statusFileStore({ fileLock: lockfileFileLock }),
      locks: lockfileJobLocks(process.cwd()),
      ignoreTimers: args.ignoreTimers,
      only: args.why === undefined ? (args.only.length ? args.only : undefined) : [args.why],
      skip: plan.skip,
    }).then((all) => all.filter((v) => args.why === undefined || v.job.id === args.why));
    if (args.json) {
      const rows = verdicts.map((v) => ({
        id: v.job.id,
        wouldRun: v.wouldRun,
        reason: v.reason ?? null,
        detail: v.detail,
      }));
      out(`${JSON.stringify(rows, null, 2)}\n`);
    } else out(formatVerdicts(verdicts));
    return 0;
  }
  return run(plan, args);
}
