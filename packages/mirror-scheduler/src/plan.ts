import { parseConfig } from './config.js';
import type { Diagnostic, SourcePosition } from './diagnostic.js';
import type { Job, Step } from './job.js';
import { DEFAULT_MIRROR_COMMAND, mirrorCommand } from './mirror-command.js';

/** What loading configuration needs from the world: directories and `cmdin=` commands. */
export interface ConfigHost {
  /** `home=DIR` relative to the current home: the absolute directory, or a throw with a message if unusable. */
  resolveHome(current: string, dir: string): Promise<string>;
  /** The standard output of `command` run by the shell in `cwd` (for `cmdin=`); throws if it cannot run. */
  readCommandOutput(command: string, cwd: string): Promise<string>;
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
  /** `skip=` ids, to pass as the scheduler's `skip` option. */
  readonly skip: readonly string[];
  /** Every home the plan uses (where mm.status files live). */
  readonly homes: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  /** Whether any diagnostic is an error (mm exits 2 without running anything). */
  readonly hasErrors: boolean;
}

const MAX_CMDIN_DEPTH = 8;

/**
 * Reads mm configuration in order: `home=` changes the directory for what follows, `mirror=` the command,
 * `max=` the limit, `cmd=` becomes a barrier, `cmdin=` runs and its output is read in place, `EXIT` ends a file.
 * The first occurrence of a job wins; later ones are reported.
 * @example
 * const plan = await loadConfig([{ name: 'mm.conf', text }], nodeConfigHost, { home: process.cwd() });
 * if (plan.hasErrors) for (const d of plan.diagnostics) console.error(formatDiagnostic(d));
 */
export async function loadConfig(
  sources: readonly ConfigSource[],
  host: ConfigHost,
  options: LoadConfigOptions,
): Promise<MirrorPlan> {
  const hourMs = options.hourMs ?? 3_600_000;
  const steps: Step[] = [];
  const jobs: MirrorJob[] = [];
  const skip: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const first = new Map<string, SourcePosition>();
  const homes = new Set<string>([options.home]);
  let home = options.home;
  let mirror = DEFAULT_MIRROR_COMMAND;

  const read = async (source: ConfigSource, depth: number): Promise<void> => {
    const parsed = parseConfig(source.text, source.name);
    diagnostics.push(...parsed.diagnostics);
    for (const s of parsed.statements) {
      const error = (message: string) => diagnostics.push({ ...s.at, severity: 'error', message });
      switch (s.kind) {
        case 'home':
          try {
            home = await host.resolveHome(home, s.dir);
            homes.add(home);
          } catch (e) {
            error(`home=${s.dir}: ${e instanceof Error ? e.message : String(e)}`);
          }
          break;
        case 'max':
          steps.push({ kind: 'max', max: s.max, at: s.at });
          break;
        case 'mirror':
          mirror = s.command;
          break;
        case 'skip':
          skip.push(s.id);
          break;
        case 'cmd':
          steps.push({
            kind: 'barrier',
            job: { id: `cmd=${s.command}`, command: s.command, cwd: home, at: s.at },
          });
          break;
        case 'cmdin': {
          if (depth >= MAX_CMDIN_DEPTH) {
            error(`cmdin= nested deeper than ${MAX_CMDIN_DEPTH}`);
            break;
          }
          let text: string;
          try {
            text = await host.readCommandOutput(s.command, home);
          } catch (e) {
            error(`cmdin=${s.command}: ${e instanceof Error ? e.message : String(e)}`);
            break;
          }
          await read({ name: `${s.at.file}:${s.at.line}: cmdin`, text }, depth + 1);
          break;
        }
        case 'job': {
          const { name, okHours, notOkHours, args } = s.line;
          const earlier = first.get(name.id);
          if (earlier) {
            diagnostics.push({
              ...s.at,
              severity: 'warning',
              message: `duplicate job ${name.id} ignored (first at ${earlier.file}:${earlier.line})`,
            });
            break;
          }
          first.set(name.id, s.at);
          const command = mirrorCommand(mirror, name, [...args, ...(options.extraArgs ?? [])]);
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
            retryAfterSuccess: okHours * hourMs,
            retryAfterFailure: notOkHours * hourMs,
            at: s.at,
          };
          jobs.push(job);
          steps.push({ kind: 'job', job });
          break;
        }
      }
    }
  };

  for (const source of sources) await read(source, 0);
  return {
    steps,
    jobs,
    skip,
    homes: [...homes],
    diagnostics,
    hasErrors: diagnostics.some((d) => d.severity === 'error'),
  };
}
