import type { Diagnostic, SourcePosition } from './diagnostic.js';
import { MirrorSchedulerError } from './diagnostic.js';
import { type JobName, parseJobName } from './job-name.js';

/** One statement of an mm configuration, with where it was written. */
export type Statement =
  | { readonly kind: 'home'; readonly dir: string; readonly at: SourcePosition }
  | { readonly kind: 'max'; readonly max: number; readonly at: SourcePosition }
  | { readonly kind: 'mirror'; readonly command: string; readonly at: SourcePosition }
  | { readonly kind: 'cmd'; readonly command: string; readonly at: SourcePosition }
  | { readonly kind: 'cmdin'; readonly command: string; readonly at: SourcePosition }
  | { readonly kind: 'skip'; readonly id: string; readonly at: SourcePosition }
  | { readonly kind: 'job'; readonly line: JobLine; readonly at: SourcePosition };

/** A job line: `site:package  min-restart-last-ok  min-restart-last-notok  [mirror-args...]` (hours). */
export interface JobLine {
  readonly name: JobName;
  readonly okHours: number;
  readonly notOkHours: number;
  /**
   * The mirror arguments: the rest of the line, as written. It is shell text, as in the original (quotes group
   * words, `$HOME` expands): the configuration's author is trusted, unlike the names it mentions.
   */
  readonly argsText: string;
}

/** What {@link parseConfig} found in one file: its statements in order, and what was wrong, by line. */
export interface ParsedConfig {
  readonly statements: readonly Statement[];
  readonly diagnostics: readonly Diagnostic[];
}

const HOURS = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
const JOB_LINE = new RegExp(String.raw`^(\S.*?)\s+${HOURS}\s+${HOURS}(?:\s+(.*?))?\s*$`);
// mm.pl's statements: the keyword at the start of the line, white space allowed around `=`. Each value is what the
// original's regular expression captures: `home` its first word, `max` its leading digits, the others the rest.
const STATEMENT = /^(home|max|mirror|cmdin|cmd|skip)\s*=\s*(.*)$/;

/**
 * Parses one mm configuration file. `#` in column 0 and blank lines are ignored and `EXIT` alone ends the file.
 * Unparsable lines and unsafe job names are reported with `file:line` and leave the rest intact.
 * `cmdin=` is returned as a statement: {@link loadConfig} runs it and parses its output.
 * @example
 * const { statements, diagnostics } = parseConfig('max=2\nftp.x.org:gnu 8 2 -v\n', 'mm.conf');
 * statements[1]; // { kind: 'job', line: { name: { site: 'ftp.x.org', package: 'gnu', ... }, okHours: 8, ... } }
 */
export function parseConfig(text: string, file: string): ParsedConfig {
  const statements: Statement[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, raw] of lines.entries()) {
    const at = { file, line: index + 1 };
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#') || line.trim() === '') continue;
    if (line === 'EXIT') break;
    const problem = (message: string, severity: Diagnostic['severity'] = 'warning') =>
      diagnostics.push({ ...at, severity, message });
    const statement = STATEMENT.exec(line);
    if (statement) {
      const parsed = parseStatement(statement[1] as StatementKey, statement[2] ?? '', at);
      if ('problem' in parsed) problem(parsed.problem, parsed.severity);
      else statements.push(parsed);
      continue;
    }
    const job = JOB_LINE.exec(line);
    if (!job) {
      problem(`unparsable line ignored: ${JSON.stringify(line)}`);
      continue;
    }
    const [, id = '', ok = '', notOk = '', rest = ''] = job;
    try {
      const name = parseJobName(id);
      statements.push({
        kind: 'job',
        line: { name, okHours: Number(ok), notOkHours: Number(notOk), argsText: rest },
        at,
      });
    } catch (error) {
      if (!(error instanceof MirrorSchedulerError)) throw error;
      problem(`${error.message}; job refused`, 'error');
    }
  }
  return { statements, diagnostics };
}

type StatementKey = 'home' | 'max' | 'mirror' | 'cmd' | 'cmdin' | 'skip';

/** One statement's value, read as mm.pl's regular expression for it reads it. */
function parseStatement(
  key: StatementKey,
  value: string,
  at: SourcePosition,
): Statement | { problem: string; severity: Diagnostic['severity'] } {
  switch (key) {
    case 'home': {
      // `home\s*=\s*(\S+)`: the first word; the original finds no statement in `home=` alone.
      const dir = /^\S+/.exec(value)?.[0];
      if (dir === undefined) return { problem: 'home= needs a directory', severity: 'error' };
      return { kind: 'home', dir, at };
    }
    case 'max': {
      // `max\s*=\s*(\d+)`: the leading digits (`max=2  # two at a time` is 2). With 0 the original dies at
      // its first job ("Waiting for NO children").
      const digits = /^\d+/.exec(value)?.[0];
      if (digits === undefined) return { problem: `max=${value}: not a whole number`, severity: 'error' };
      const max = Number(digits);
      if (max < 1)
        return { problem: `max=${value}: at least one job must be able to run`, severity: 'error' };
      return { kind: 'max', max, at };
    }
    case 'skip':
      return { kind: 'skip', id: value.trim(), at };
    case 'cmd':
      // `cmd=` alone only waits for every running job (the original's system('') does nothing).
      return { kind: 'cmd', command: value, at };
    default:
      if (value.trim() === '') return { problem: `${key}= needs a command`, severity: 'error' };
      return { kind: key, command: value, at };
  }
}
