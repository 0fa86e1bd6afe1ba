import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from '@suite/internal/node';
import { encodeForkCancel, encodeForkRequest, ForkReplyDecoder } from '../fork-protocol.js';
import type { Executor, ExitResult, RunningProcess } from '../ports.js';
import { groupKiller, type ShellExecutorOptions, spawnJob, tracked } from './shell-executor.js';

// A resident helper that forks jobs for us (fork-server.pl, shipped beside the bundles in dist/): forking a small
// Perl process costs a fraction of forking Node, whose page tables are large. The framing is in ../fork-protocol.ts.

const PERL = '/usr/bin/perl';
const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Whether process `pid` has ended (a zombie nobody reaps counts as ended). */
const gone = (pid: number): boolean => !isProcessAlive(pid);

/** A started job of the fork server: its pid and how it ended. */
export interface ForkedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitResult>;
}

/** Where fork-server.pl is: beside this module in the sources, at the top of dist/ in the bundles. */
let foundScript: string | undefined;
function scriptPath(): string | undefined {
  if (foundScript !== undefined && existsSync(foundScript)) return foundScript;
  for (const relative of ['./fork-server.pl', '../fork-server.pl', './node/fork-server.pl']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) {
      foundScript = path;
      return path;
    }
  }
  return undefined;
}

/**
 * Whether {@link forkServerExecutor} can use its Perl helper here (`/usr/bin/perl` and the helper's script exist).
 * @example
 * const executor = forkServerAvailable() ? forkServerExecutor() : shellExecutor();
 */
export const forkServerAvailable = (): boolean =>
  process.platform !== 'win32' && existsSync(PERL) && scriptPath() !== undefined;

/** Forks `/bin/sh -c SCRIPT ARGV0 ARGS...` jobs through a resident helper; see the comment above. */
export class ForkServer {
  readonly #child: ChildProcess;
  readonly #requests: Socket;
  readonly #replies: Socket;
  readonly #starting = new Map<
    number,
    { resolve: (p: ForkedProcess) => void; reject: (e: Error) => void; standby: boolean; done?: () => void }
  >();
  readonly #exits = new Map<number, (r: ExitResult) => void>();
  #seq = 0;
  #broken: Error | undefined;
  readonly #decoder = new ForkReplyDecoder();

  constructor(argv0: string, output: 'inherit' | 'ignore', env: NodeJS.ProcessEnv, linger: boolean) {
    // A process group of its own: a terminal's Ctrl-C reaches mm, which stops the jobs, not the helper that
    // must report how they ended.
    const script = scriptPath();
    if (script === undefined) throw new Error("fork-server.pl is missing beside the package's modules");
    this.lost = new Promise((resolve) => {
      this.#markLost = resolve;
    });
    this.#child = spawn(PERL, [script, argv0, output === 'ignore' ? '1' : '', linger ? '1' : ''], {
      stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
      env,
      detached: true,
    });
    this.#requests = this.#child.stdin as Socket;
    this.#replies = this.#child.stdio[3] as Socket;
    this.#replies.setEncoding('utf8');
    this.#replies.on('data', (chunk: string) => this.#onReplies(chunk));
    this.#requests.on('error', (e) => this.#fail(e));
    this.#child.on('error', (e) => this.#fail(e));
    this.#child.on('exit', (code, signal) => this.#fail(new Error(`fork server ended (${signal ?? code})`)));
    this.#idle();
  }

  /** Resolves when the helper is found dead or unusable (it never rejects). */
  readonly lost: Promise<void>;
  #markLost: () => void = () => {};

  /** The helper's pid (undefined if it could not be started). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Whether it still works (it fails for good if the helper dies). */
  get usable(): boolean {
    return this.#broken === undefined;
  }

  /**
   * Starts a job; with `standbyBelow` K, as soon as fewer than K of the helper's jobs run (see
   * encodeForkRequest). A standby start that `signal` aborts before it started rejects with a `cancelled` error.
   */
  start(
    cwd: string,
    script: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    standbyBelow?: number,
    signal?: AbortSignal,
  ): Promise<ForkedProcess> {
    if (this.#broken) return Promise.reject(this.#broken);
    const seq = ++this.#seq;
    let request: Uint8Array;
    try {
      request = encodeForkRequest(seq, cwd, script, args, env, standbyBelow);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#busy();
    return new Promise((resolve, reject) => {
      const standby = standbyBelow !== undefined;
      const pending: { resolve: typeof resolve; reject: typeof reject; standby: boolean; done?: () => void } =
        {
          resolve,
          reject,
          standby,
        };
      this.#starting.set(seq, pending);
      // One write, so the helper reads the request in one go.
      this.#requests.write(request);
      if (standby && signal) {
        const cancel = () => {
          if (this.#starting.has(seq) && !this.#broken) this.#requests.write(encodeForkCancel(seq));
        };
        if (signal.aborted) cancel();
        else {
          signal.addEventListener('abort', cancel, { once: true });
          pending.done = () => signal.removeEventListener('abort', cancel);
        }
      }
    });
  }

  #onReplies(chunk: string): void {
    for (const reply of this.#decoder.push(chunk)) {
      if (reply.kind === 'started') {
        const pending = this.#starting.get(reply.seq);
        this.#starting.delete(reply.seq);
        pending?.done?.();
        const exited = new Promise<ExitResult>((resolve) => this.#exits.set(reply.pid, resolve));
        // A standby job took the place of one whose end came in the same read: that end is handled first (its
        // continuations are promise jobs, run before the next macrotask), so jobs seen running never exceed K.
        if (pending?.standby) setImmediate(() => pending.resolve({ pid: reply.pid, exited }));
        else pending?.resolve({ pid: reply.pid, exited });
      } else if (reply.kind === 'exited') {
        const { signal } = reply;
        this.#exits.get(reply.pid)?.({
          exitCode: signal ? null : reply.exitCode,
          signal: signal ? (signalNames.get(signal) ?? `SIG${signal}`) : null,
        });
        this.#exits.delete(reply.pid);
      } else {
        const pending = this.#starting.get(reply.seq);
        this.#starting.delete(reply.seq);
        pending?.done?.();
        pending?.reject(new Error(reply.reason));
      }
    }
    if (this.#starting.size === 0 && this.#exits.size === 0) this.#idle();
  }

  #fail(error: Error): void {
    this.#broken ??= error;
    this.#markLost();
    for (const { reject, done } of this.#starting.values()) {
      done?.();
      reject(error);
    }
    this.#starting.clear();
    // Nobody will report these ends now: a job counts as ended only once its process is gone, so that its lock
    // is not released while it still runs.
    for (const [pid, resolve] of this.#exits) {
      const poll = setInterval(() => {
        if (!gone(pid)) return;
        clearInterval(poll);
        resolve({ exitCode: null, signal: null, error: `${error.message}; exit status unknown` });
      }, 100);
    }
    this.#exits.clear();
    this.#idle();
  }

  // While no job is in flight the helper must not keep Node's event loop alive.
  #busy(): void {
    this.#child.ref();
    this.#requests.ref();
    this.#replies.ref();
  }

  #idle(): void {
    this.#child.unref();
    this.#requests.unref();
    this.#replies.unref();
  }
}

/** A resident process that starts jobs as its children and lives until the last of them has ended. */
export interface JobKeeper {
  readonly pid: number;
  /** Resolves if it dies or becomes unusable before the scheduler is done with it. */
  readonly lost: Promise<void>;
}

/** The options of {@link forkServerExecutor}. */
export interface ForkServerExecutorOptions extends Omit<ShellExecutorOptions, 'forkServer'> {
  /**
   * Whether the helper outlives the scheduler (ended or killed) until its last job has ended, so that job locks
   * naming it ({@link ForkServerExecutor.keeper}) stay held while those jobs run. `false`: it exits as soon as its
   * input closes (a fleet worker's jobs must die with the worker); `keeper()` is then undefined. @default true
   */
  readonly outliveScheduler?: boolean;
}

/** The executor of {@link forkServerExecutor}: an {@link Executor} that can name the helper that forks the jobs. */
export interface ForkServerExecutor extends Executor {
  /**
   * The helper that forks the jobs: started now unless `start` is false or one already runs; undefined where jobs
   * start with Node's spawn. A job lock that names its pid as adopted stays held while the helper's jobs run, even
   * if the scheduler is killed (the helper waits for its jobs once its input ends).
   */
  keeper(start?: boolean): JobKeeper | undefined;
}

/**
 * Runs jobs as {@link shellExecutor} does (`/bin/sh -c COMMAND ARGV0 ARGS...` in the job's cwd, its own process
 * group, stdin /dev/null), but forks them through a small resident Perl helper (fork-server.pl) instead of from
 * Node: several times cheaper per job, which matters for thousands of short jobs. Node-only (not Bun/Deno);
 * where Perl or the helper is missing, or the helper dies, jobs start with Node's spawn. The helper outlives the
 * scheduler until its last job has ended ({@link ForkServerExecutor.keeper}). The mm CLI uses it when
 * {@link forkServerAvailable}.
 * @example
 * const executor = forkServerAvailable() ? forkServerExecutor({ output: 'ignore' }) : shellExecutor({ output: 'ignore' });
 * await runJobs(plan.steps, { executor }).summary;
 */
export function forkServerExecutor(options: ForkServerExecutorOptions = {}): ForkServerExecutor {
  const linger = options.outliveScheduler ?? true;
  const output = options.output ?? 'inherit';
  const argv0 = options.argv0 ?? 'mm';
  const env = options.env ?? process.env;
  const useServer = forkServerAvailable();
  let server: ForkServer | undefined;
  /** Once a helper was lost, jobs of the lost one may still run: no standby starts from then on. */
  let replaced = false;
  const current = (): ForkServer => {
    if (!server?.usable) {
      replaced ||= server !== undefined;
      server = new ForkServer(argv0, output, env, linger);
    }
    return server;
  };
  const running = (forked: ForkedProcess): RunningProcess => {
    const { exited, done } = tracked(forked.exited);
    return { pid: forked.pid, exited, kill: groupKiller(forked.pid, done) };
  };
  return {
    keeper(start = true) {
      if (!useServer || !linger || (!start && !server?.usable)) return undefined;
      const { pid, lost, usable } = current();
      return pid === undefined || !usable ? undefined : { pid, lost };
    },
    async start(job): Promise<RunningProcess> {
      if (!useServer) return spawnJob(job, argv0, env, output);
      return running(await current().start(job.cwd ?? '', job.command ?? '', job.args ?? [], job.env ?? {}));
    },
    async standby(job, below, signal): Promise<RunningProcess | undefined> {
      if (!useServer || replaced || !server?.usable) return undefined;
      const helper = server;
      try {
        return running(
          await helper.start(job.cwd ?? '', job.command ?? '', job.args ?? [], job.env ?? {}, below, signal),
        );
      } catch (error) {
        if ((error as Error).message === 'cancelled')
          throw Object.assign(new Error('cancelled before it started'), { code: 'ECANCELLED' });
        // The helper died with the request queued: start it the ordinary way, once a slot is free.
        if (!helper.usable) return undefined;
        throw error;
      }
    },
  };
}
