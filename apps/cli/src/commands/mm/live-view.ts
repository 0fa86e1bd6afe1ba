import type { SchedulerEvent } from '@suite/mirror-scheduler';

/** What the live view shows. */
export interface LiveState {
  readonly running: ReadonlyMap<string, number>;
  readonly queued: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
}

function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The block of lines the live view redraws: a counts line, then each running job with its elapsed time. */
export function renderLive(state: LiveState, now: number, width = 80): string[] {
  const head = `mm: ${state.running.size} running, ${state.queued} queued, ${state.done} done, ${state.failed} failed, ${state.skipped} skipped`;
  const rows = [...state.running].map(([id, since]) => {
    const time = elapsed(now - since).padStart(7);
    const room = Math.max(width - 12, 16);
    const name = id.length > room ? `${id.slice(0, room - 1)}…` : id;
    return `  ${time}  ${name}`;
  });
  return [head, ...rows];
}

/**
 * On a terminal: redraws the block in place (a few times a second) and prints failures above it as they happen.
 */
export class LiveView {
  readonly #running = new Map<string, number>();
  readonly #started = new Set<string>();
  #queued: number;
  #done = 0;
  #failed = 0;
  #skipped = 0;
  #drawn = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  readonly #countQueued: boolean;

  /** `totalJobs`: the jobs known in advance; 0 counts each job as it is queued. */
  constructor(
    totalJobs: number,
    readonly out: NodeJS.WriteStream,
  ) {
    this.#queued = totalJobs;
    this.#countQueued = totalJobs === 0;
    this.#timer = setInterval(() => this.#draw(), 250);
    this.#timer.unref();
  }

  event(e: SchedulerEvent): void {
    if (e.type === 'queued') {
      // A plan read as it runs: each job is counted as it is reached.
      if (this.#countQueued) this.#queued += 1;
    } else if (e.type === 'started') {
      this.#started.add(e.job.id);
      this.#running.set(e.job.id, e.at);
      this.#queued -= 1;
    } else if (e.type === 'skipped') {
      this.#skipped += 1;
      this.#queued -= 1;
    } else if (e.type === 'error') {
      // Before its start (lock or status failure) it leaves the queue; after its end it was counted done.
      if (!this.#started.has(e.job.id)) this.#queued -= 1;
      this.#failed += 1;
      this.#print(`mm: ${e.job.id}: failed: ${e.message}`);
    } else if (e.type === 'finished' && this.#running.delete(e.job.id)) {
      this.#done += 1;
      if (!e.ok) {
        this.#failed += 1;
        this.#print(
          `mm: ${e.job.id}: failed: ${e.signal ?? `exit ${e.exitCode}`}${e.error ? ` (${e.error})` : ''}`,
        );
      }
    }
    this.#draw();
  }

  #print(line: string): void {
    this.#clear();
    this.out.write(`${line}\n`);
  }

  /** Writes a line (a warning, to `stream`) above the block, then redraws the block. */
  above(line: string, stream: NodeJS.WritableStream): void {
    this.#clear();
    stream.write(`${line}\n`);
    this.#draw();
  }

  #clear(): void {
    if (this.#drawn > 0) this.out.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    const lines = renderLive(
      {
        running: this.#running,
        queued: this.#queued,
        done: this.#done,
        failed: this.#failed,
        skipped: this.#skipped,
      },
      Date.now(),
      this.out.columns || 80,
    );
    this.#clear();
    this.out.write(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#clear();
  }
}
