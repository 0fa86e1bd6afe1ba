import { parseConfig } from './config.js';
import type { Diagnostic, SourcePosition } from './diagnostic.js';
import type { Job, Step } from './job.js';
import { DEFAULT_MIRROR_COMMAND, mirrorCommand } from './mirror-command.js';

/** What loading configuration needs from the world: directories and `cmdin=` commands. */
export interface ConfigHost {
  /** `home=DIR` relative to the current home: the absolute directory, or a throw with a message if unusable. */
  resolveHome(current: string, dir: string): Promise<string>;
  /**
   * The standard output of `command` run by the shell in `cwd` (for `cmdin=`); throws if it cannot run. When
   * `signal` aborts, the command is stopped (SIGTERM, then SIGKILL after `killGraceMs`) and the call rejects.
   */
  readCommandOutput(command: string, cwd: string, options?: CommandOptions): Promise<string>;
}

/**
 * How a `cmdin=` command may be stopped, and where its warnings go.
 * @example
 * const text = await nodeConfigHost.readCommandOutput('pkgs_to_mmin packages/*', home, {
 *   signal: controller.signal, killGraceMs: 10_000, onWarning: (w) => console.error(w) });
 */
export interface CommandOptions {
  readonly signal?: AbortSignal;
  /** Ms between SIGTERM and SIGKILL once `signal` aborts. @default 10000 */
  readonly killGraceMs?: number;
  /** Called with a warning (e.g. the command's exit status) that does not stop its output being read. */
  readonly onWarning?: (message: string) => void;
}

/** One configuration input: its name for messages (a file name, `-` for stdin) and its text. */
export interface ConfigSource {
  readonly name: string;
  readonly text: string;
}

/** How to turn mm configuration into a plan. */
export interface LoadConfigOptions {
  /** The starting directory (mm: the current directory). */
  readonly home: string;
  /** Flags mm did not understand: appended to every job's `$args`. */
  readonly extraArgs?: readonly string[];
  /** Milliseconds in an hour of `min-restart` times; tests shrink it. @default 3600000 */
  readonly hourMs?: number;
}

/**
 * How to read mm configuration while it runs ({@link readConfig}).
 * @example
 * const options: ReadConfigOptions = { home: process.cwd(), signal: controller.signal,
 *   onDiagnostic: (d) => console.error(formatDiagnostic(d)) };
 */
export interface ReadConfigOptions extends LoadConfigOptions {
  /** Each warning and error, as it is found. */
  readonly onDiagnostic?: (diagnostic: Diagnostic) => void;
  /** Stops reading (and any `cmdin=` command being read). */
  readonly signal?: AbortSignal;
  /** Ms between SIGTERM and SIGKILL for a `cmdin=` command being stopped. @default 10000 */
  readonly killGraceMs?: number;
}

/** An mm job: a {@link Job} with the mm fields it came from. */
export interface MirrorJob extends Job {
  readonly site: string;
  readonly package: string;
  /** The home (cwd) it runs in; mm.status and logs/ live there. */
  readonly cwd: string;
  readonly okHours: number;
  readonly notOkHours: number;
  readonly at: SourcePosition;
}

/** mm configuration turned into steps for {@link runJobs}, plus the `skip=` list and every diagnostic. */
export interface MirrorPlan {
  readonly steps: readonly Step[];
  /** The jobs of `steps`, in order (duplicates dropped). */
  readonly jobs: readonly MirrorJob[];
  /** The jobs a `skip=` above them skips (their steps say `skip: true`; the scheduler obeys that). */
  readonly skip: readonly string[];
  /** Every home the plan uses (where mm.status files live). */
  readonly homes: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  /** Whether any diagnostic is an error (mm exits 2 without running anything). */
  readonly hasErrors: boolean;
}

const MAX_CMDIN_DEPTH = 8;

/**
 * Reads mm configuration in order, as the original obeys it, yielding each step when it is reached: `home=`
 * is resolved, and a `cmdin=` command run, only when the steps before them have been taken from the iterator.
 * Given to {@link runJobs}, which takes a step only after it has started the jobs before it (and waited out a
 * barrier), that is mm.pl's order: `cmd=mkdir -p x` then `home=x` works, and `cmdin=` runs after the jobs above
 * it have started. `mirror=` changes the command for what follows, `max=` the limit, `skip=` skips the job lines
 * after it, `EXIT` ends a file. The first occurrence of a job wins. A `home=` that fails ends the reading (the
 * original dies there), with an error.
 * @example
 * const steps = readConfig(sources, nodeConfigHost, { home: process.cwd(), onDiagnostic: (d) => console.error(formatDiagnostic(d)) });
 * await runJobs(steps, { executor: shellExecutor() }).summary;
 */
export async function* readConfig(
  sources: readonly ConfigSource[],
  host: ConfigHost,
  options: ReadConfigOptions,
): AsyncGenerator<Step, void, undefined> {
  const hourMs = options.hourMs ?? 3_600_000;
  const report = (d: Diagnostic) => options.onDiagnostic?.(d);
  const first = new Map<string, SourcePosition>();
  const skips = new Set<string>();
  let home = options.home;
  let mirror = DEFAULT_MIRROR_COMMAND;
  let stopped = false;
  const aborted = () => options.signal?.aborted === true;

  async function* read(source: ConfigSource, depth: number): AsyncGenerator<Step, void, undefined> {
    const parsed = parseConfig(source.text, source.name);
    // Diagnostics are reported where their line is reached, in order with what runs.
    const pending = [...parsed.diagnostics];
    const reportUpTo = (line: number) => {
      while (pending.length > 0 && pending[0]!.line <= line) report(pending.shift()!);
    };
    for (const s of parsed.statements) {
      if (stopped || aborted()) return;
      reportUpTo(s.at.line);
      const error = (message: string) => report({ ...s.at, severity: 'error', message });
      switch (s.kind) {
        case 'home':
          try {
            home = await host.resolveHome(home, s.dir);
          } catch (e) {
            error(`home=${s.dir}: ${e instanceof Error ? e.message : String(e)}; nothing after it is read`);
            stopped = true;
            return;
          }
          break;
        case 'max':
          yield { kind: 'max', max: s.max, at: s.at };
          break;
        case 'mirror':
          mirror = s.command;
          break;
        case 'skip':
          skips.add(s.id);
          break;
        case 'cmd':
          yield {
            kind: 'barrier',
            job: { id: `cmd=${s.command}`, command: s.command, cwd: home, at: s.at },
          };
          break;
        case 'cmdin': {
          if (depth >= MAX_CMDIN_DEPTH) {
            error(`cmdin= nested deeper than ${MAX_CMDIN_DEPTH}`);
            break;
          }
          let text: string;
          try {
            text = await host.readCommandOutput(s.command, home, {
              ...(options.signal ? { signal: options.signal } : {}),
              ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
              onWarning: (message) =>
                report({ ...s.at, severity: 'warning', message: `cmdin=${s.command}: ${message}` }),
            });
          } catch (e) {
            if (aborted()) return;
            error(`cmdin=${s.command}: ${e instanceof Error ? e.message : String(e)}`);
            break;
          }
          yield* read({ name: `${s.at.file}:${s.at.line}: cmdin`, text }, depth + 1);
          break;
        }
        case 'job': {
          const { name, okHours, notOkHours, argsText } = s.line;
          const earlier = first.get(name.id);
          if (earlier) {
            report({
              ...s.at,
              severity: 'info',
              message: `duplicate job ${name.id} ignored (first at ${earlier.file}:${earlier.line})`,
            });
            break;
          }
          first.set(name.id, s.at);
          const command = mirrorCommand(mirror, name, options.extraArgs ?? [], argsText);
          const job: MirrorJob = {
            id: name.id,
            site: name.site,
            package: name.package,
            command: command.script,
            args: command.args,
            env: command.env,
            cwd: home,
            okHours,
            notOkHours,
            // Hours too large for a date (9999999999, meant as "never") stay numbers: the times they give are
            // compared, never turned into dates.
            retryAfterSuccess: okHours * hourMs,
            retryAfterFailure: notOkHours * hourMs,
            at: s.at,
          };
          yield skips.has(name.id) ? { kind: 'job', job, skip: true } : { kind: 'job', job };
          break;
        }
      }
    }
    reportUpTo(Number.POSITIVE_INFINITY);
  }

  for (const source of sources) {
    if (stopped || aborted()) return;
    yield* read(source, 0);
  }
}

/**
 * Reads mm configuration whole, without running anything (`cmd=` commands are not run; `cmdin=` commands are):
 * for status tables, dry runs and tests. See {@link readConfig} for the statements.
 * @example
 * const plan = await loadConfig([{ name: 'mm.conf', text }], nodeConfigHost, { home: process.cwd() });
 * if (plan.hasErrors) for (const d of plan.diagnostics) console.error(formatDiagnostic(d));
 */
export async function loadConfig(
  sources: readonly ConfigSource[],
  host: ConfigHost,
  options: LoadConfigOptions & Pick<ReadConfigOptions, 'signal' | 'killGraceMs'>,
): Promise<MirrorPlan> {
  const diagnostics: Diagnostic[] = [];
  const steps: Step[] = [];
  const jobs: MirrorJob[] = [];
  const homes = new Set<string>([options.home]);
  const skip = new Set<string>();
  for await (const step of readConfig(sources, host, {
    ...options,
    onDiagnostic: (d) => diagnostics.push(d),
  })) {
    steps.push(step);
    if (step.kind === 'job') {
      jobs.push(step.job as MirrorJob);
      homes.add((step.job as MirrorJob).cwd);
      if (step.skip) skip.add(step.job.id);
    }
  }
  return {
    steps,
    jobs,
    skip: [...skip],
    homes: [...homes],
    diagnostics,
    hasErrors: diagnostics.some((d) => d.severity === 'error'),
  };
}
