import type { Diagnostic, RunSummary, SchedulerEvent } from '@suite/mirror-scheduler';
import { formatDiagnostic } from '@suite/mirror-scheduler';
import type { LiveView } from './live-view.js';

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

export function summaryLine(s: RunSummary): string {
  const skipped = Object.entries(s.skipped).filter(([, n]) => n > 0);
  const total = skipped.reduce((sum, [, n]) => sum + n, 0);
  const detail = skipped.length ? ` (${skipped.map(([r, n]) => `${r} ${n}`).join(', ')})` : '';
  const stopped = s.aborted ? '; stopped by a signal' : '';
  return `mm: ${s.started} ran, ${s.succeeded} succeeded, ${s.failed} failed, ${total} skipped${detail} in ${seconds(s.durationMs)}${stopped}\n`;
}

/** The original's warning for a job held back, or nothing for the skips it was silent about. */
function heldBackLine(e: Extract<SchedulerEvent, { type: 'skipped' }>): string | undefined {
  if (e.reason === 'timer') {
    const next = e.nextEligible ?? Number.POSITIVE_INFINITY;
    // In whole seconds, as mm.pl counts: LAST_TRIED + interval - now.
    const togo = Math.floor(next / 1000) - Math.floor(e.at / 1000);
    return Number.isFinite(next) && togo < 1e21
      ? `Not trying ${e.job.id}: ${togo} seconds to go`
      : `Not trying ${e.job.id}: not again within any time that matters`;
  }
  if (e.reason === 'locked') {
    // mm.pl names the mirror's pid (its status line's); the lock knows it as the adopted process.
    const pid = e.holder?.pids?.[0] ?? e.holder?.pid;
    return `Not trying ${e.job.id}: locked by ${pid ?? 'another run'}`;
  }
  return undefined;
}

/** Where a run's output goes: quiet as mm.pl under cron, log lines with --verbose, or the live view. */
export class RunOutput {
  constructor(
    private readonly options: { readonly verbose: boolean; readonly debug: number },
    private readonly live: LiveView | undefined,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A line on stderr, above the live view if there is one. */
  warn(line: string): void {
    if (this.live) this.live.above(line, this.stderr);
    else this.stderr.write(`${line}\n`);
  }

  /** A configuration warning or error as it is found (`info` only with --verbose). */
  diagnostic(d: Diagnostic): void {
    if (d.severity !== 'info' || this.options.verbose) this.warn(`mm: ${formatDiagnostic(d)}`);
  }

  event(e: SchedulerEvent): void {
    if (this.options.debug > 1 && e.type === 'queued' && 'cwd' in e.job) {
      this.stderr.write(`mm: plan: job ${e.job.id} in ${e.job.cwd}: ${e.job.command}\n`);
    }
    if (e.type === 'skipped') {
      const held = heldBackLine(e);
      if (held !== undefined) this.warn(held);
    }
    if (this.live) {
      this.live.event(e);
      return;
    }
    if (this.options.verbose) {
      const line = logLine(e, this.options.debug);
      if (line !== undefined) this.stdout.write(`mm: ${line}\n`);
    } else if (e.type === 'finished' && !e.ok) {
      this.stderr.write(`mm: ${e.job.id}: FAILED: ${describeEnd(e)}\n`);
    } else if (e.type === 'error') {
      this.stderr.write(`mm: ${e.job.id}: FAILED: ${e.message}\n`);
    }
  }

  /** The summary line: with --verbose, or under the live view. */
  done(summary: RunSummary): void {
    this.live?.stop();
    if (this.options.verbose || this.live) this.stdout.write(summaryLine(summary));
  }
}
