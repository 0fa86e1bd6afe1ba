// What the fault tests share: worker processes, the jobs' own log of their starts and ends, polling.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAlive } from '@suite/internal/testing';

const script = fileURLToPath(new URL('./worker-process.mjs', import.meta.url));

/** A worker in a process group of its own. */
export interface WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
}

export function startWorker(
  url: string,
  schema: string,
  name: string,
  opts: { max: number; leaseMs: number; events: string; endDelayMs?: number; forkHelper?: boolean },
): WorkerProcess {
  const child = spawn(
    process.execPath,
    [
      script,
      url,
      schema,
      name,
      String(opts.max),
      String(opts.leaseMs),
      opts.events,
      String(opts.endDelayMs ?? 0),
    ],
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        ...(opts.forkHelper === undefined ? {} : { MM_TEST_FORK_HELPER: opts.forkHelper ? '1' : '0' }),
      },
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { name, child, pid: child.pid!, exited };
}

/** SIGKILL to the worker's whole process group (its jobs are in groups of their own). */
export async function killWorker(w: WorkerProcess): Promise<void> {
  try {
    process.kill(-w.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await w.exited;
}

export async function stopWorker(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill('SIGTERM');
  await w.exited;
}

/** Whether `pid` is a live process (a zombie counts as dead). */
export const alive = isAlive;

export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A line a job wrote: `S` at its start, `E` at its end, with its shell's pid, its fence and the time in ms. */
export interface JobMark {
  readonly kind: 'S' | 'E';
  readonly id: string;
  readonly pid: number;
  readonly fence: number;
  readonly at: number;
}

/** A shell command that records its start and end in `log` and sleeps `seconds` in between ($1 is the job id). */
export function markedCommand(log: string, seconds: string): string {
  const mark = (k: string) => `echo "${k} $1 $$ $MM_FENCE $(date +%s%N)" >> '${log}'`;
  return `${mark('S')}; sleep ${seconds}; ${mark('E')}`;
}

export function readMarks(log: string): JobMark[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind, id, pid, fence, ns] = line.split(' ');
      return {
        kind: kind as 'S' | 'E',
        id: id!,
        pid: Number(pid),
        fence: Number(fence),
        at: Number(ns) / 1e6,
      };
    });
}

/** The most intervals [S, E] of `marks` (grouped by `key`) open at once. */
export function peakOverlap(marks: readonly JobMark[], key: (m: JobMark) => string): Map<string, number> {
  const points = marks
    .map((m) => ({ key: key(m), at: m.at, delta: m.kind === 'S' ? 1 : -1 }))
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  const open = new Map<string, number>();
  const peak = new Map<string, number>();
  for (const p of points) {
    const n = (open.get(p.key) ?? 0) + p.delta;
    open.set(p.key, n);
    peak.set(p.key, Math.max(peak.get(p.key) ?? 0, n));
  }
  return peak;
}

export interface WorkerEvent {
  readonly type: string;
  readonly id?: string;
  readonly worker: string;
  readonly message?: string;
  readonly at: number;
}

export function readEvents(file: string): WorkerEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as WorkerEvent);
}
