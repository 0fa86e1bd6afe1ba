import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ConfigSource,
  formatStatusFile,
  loadConfig,
  type MirrorPlan,
  parseConfig,
  readConfig,
  statusLineOf,
} from '@suite/mirror-scheduler/mm';
import {
  explain,
  forkServerAvailable,
  forkServerExecutor,
  formatDiagnostic,
  type JobVerdict,
  nodeConfigHost,
  runHistoryRecorder,
  runJobs,
  type Step,
  shellExecutor,
  statusFileStore,
} from '@suite/mirror-scheduler/node';
import { defineTool, type ToolContext } from '../../shared/define-tool.js';
import { MM_USAGE, type MmArgs, onlyPattern, parseMmArgs, UsageError } from './args.js';
import { fleetMain, isFleetCommand } from './fleet.js';
import { LiveView } from './live-view.js';
import { lockfileFileLock, lockfileJobLocks } from './lock-ports.js';
import { RunOutput } from './run-output.js';
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

async function printStatus(plan: MirrorPlan, args: MmArgs): Promise<number> {
  const store = statusFileStore({ fileLock: lockfileFileLock });
  const locks = lockfileJobLocks(process.cwd());
  const rows = [];
  const now = Date.now();
  try {
    for (const job of plan.jobs)
      rows.push(statusRow(job, await store.read(job), await locks.holder(job), now));
  } catch (error) {
    err(`mm: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  out(args.json ? `${JSON.stringify(rows, null, 2)}\n` : formatStatusTable(rows, now));
  return 0;
}

/** Creates logs/ under each home as the first job there comes (the default command writes there). */
async function* withLogDirs(steps: AsyncIterable<Step>): AsyncGenerator<Step, void, undefined> {
  const made = new Set<string>();
  for await (const step of steps) {
    const home = step.kind === 'job' ? step.job.cwd : undefined;
    if (home !== undefined && !made.has(home)) {
      made.add(home);
      await mkdir(join(home, 'logs'), { recursive: true }).catch(() => {});
    }
    yield step;
  }
}

interface RunContext {
  readonly sources: readonly ConfigSource[];
  readonly only: RegExp | undefined;
}

async function run({ sources, only }: RunContext, args: MmArgs): Promise<number> {
  const verbose = args.verbose || args.debug > 0;
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
  let internal: unknown;
  const onSignal = (signal: NodeJS.Signals) => {
    stoppedBy ??= signal;
    err(`mm: ${signal}: stopping every job\n`);
    controller.abort();
  };
  // An exception nobody caught must not leave mirrors running unrecorded: stop them, write their status, exit.
  const onCrash = (error: unknown) => {
    internal ??= error;
    err(`mm: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    err('mm: stopping every job\n');
    controller.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const live = process.stdout.isTTY && !args.quiet && !verbose ? new LiveView(0, process.stdout) : undefined;
  const output = new RunOutput({ verbose, debug: args.debug }, live);
  let configErrors = false;
  const history = args.dryRun ? undefined : runHistoryRecorder(mmHistory(), { signal: controller.signal });
  try {
    const steps = readConfig(sources, nodeConfigHost, {
      home: process.cwd(),
      extraArgs: args.mirrorArgs,
      signal: controller.signal,
      killGraceMs: args.graceSeconds * 1000,
      onDiagnostic: (d) => {
        if (d.severity === 'error') configErrors = true;
        output.diagnostic(d);
      },
    });
    // Forking through the resident Perl helper costs a fraction of forking Node, per job; the helper outlives mm
    // until its jobs end, so the job locks name it and need not adopt each job's process.
    const forkServer = forkServerAvailable() ? forkServerExecutor() : undefined;
    const jobRun = runJobs(withLogDirs(steps), {
      executor: forkServer ?? shellExecutor(),
      store,
      locks: lockfileJobLocks(process.cwd(), forkServer && ((start) => forkServer.keeper(start))),
      ignoreTimers: args.ignoreTimers,
      ...(only ? { only } : {}),
      signal: controller.signal,
      killGraceMs: args.graceSeconds * 1000,
      onEvent: (e) => {
        history?.event(e);
        output.event(e);
      },
    });
    const summary = await jobRun.summary;
    await history
      ?.settled()
      .catch((e: unknown) => err(`mm: run history not stored: ${(e as Error).message}\n`));
    output.done(summary);
    if (internal !== undefined) return 70;
    if (configErrors) return 2;
    return summary.failed > 0 || summary.barriersFailed > 0 || summary.aborted || stoppedBy ? 1 : 0;
  } finally {
    live?.stop();
    for (const s of signals) process.off(s, onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
}

/** `mm`: Mirror Master. */
export const { main } = defineTool({ name: 'mm', help: MM_USAGE, answers: 'options', run: mm });

async function mm(argv: readonly string[], tool: ToolContext): Promise<number> {
  if (isFleetCommand(argv)) return fleetMain(argv);
  if (argv[0] === 'serve') return serveMain(argv.slice(1));
  let args: MmArgs;
  let only: RegExp | undefined;
  try {
    args = parseMmArgs(argv);
    only = onlyPattern(args.only);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`mm: ${error.message}\n${MM_USAGE}`);
    return 2;
  }
  if (args.help) return tool.help();
  if (args.version) return tool.version();
  let sources: ConfigSource[];
  try {
    sources = await readSources(args.files);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    err(`mm: cannot read ${e.path ?? 'the configuration'}: ${e.code ?? e.message}\n`);
    return 2;
  }
  // What the files themselves get wrong is refused before anything runs; what only running shows (a home= that a
  // cmd= was to create, a cmdin= command's output) is found when it is reached, as mm.pl finds it.
  const written = sources.flatMap((source) => parseConfig(source.text, source.name).diagnostics);
  if (written.some((d) => d.severity === 'error')) {
    for (const d of written) if (d.severity !== 'info') err(`mm: ${formatDiagnostic(d)}\n`);
    err('mm: configuration errors: nothing was run\n');
    return 2;
  }
  if (!args.status && !args.dryRun && args.why === undefined) return run({ sources, only }, args);

  // Even here a cmdin= command runs: a signal stops it (with --grace) rather than leaving it behind.
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    err(`mm: ${signal}: stopping\n`);
    controller.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  let plan: MirrorPlan;
  try {
    plan = await loadConfig(sources, nodeConfigHost, {
      home: process.cwd(),
      extraArgs: args.mirrorArgs,
      signal: controller.signal,
      killGraceMs: args.graceSeconds * 1000,
    });
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
  if (controller.signal.aborted) return 1;
  for (const d of plan.diagnostics) {
    if (d.severity !== 'info' || args.verbose) err(`mm: ${formatDiagnostic(d)}\n`);
  }
  if (plan.hasErrors) {
    err('mm: configuration errors\n');
    return 2;
  }
  if (args.why !== undefined && !plan.jobs.some((j) => j.id === args.why)) {
    err(`mm: no such job in the configuration: ${args.why}\n`);
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
  let verdicts: JobVerdict[];
  try {
    verdicts = await explain(plan.steps, {
      store: statusFileStore({ fileLock: lockfileFileLock }),
      locks: lockfileJobLocks(process.cwd()),
      ignoreTimers: args.ignoreTimers,
      ...(args.why === undefined ? (only ? { only } : {}) : { only: [args.why] }),
    });
  } catch (error) {
    err(`mm: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  verdicts = verdicts.filter((v) => args.why === undefined || v.job.id === args.why);
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
