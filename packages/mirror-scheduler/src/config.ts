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
  readonly args: readonly string[];
}

/** What {@link parseConfig} found in one file: its statements in order, and what was wrong, by line. */
export interface ParsedConfig {
  readonly statements: readonly Statement[];
  readonly diagnostics: readonly Diagnostic[];
}

const HOURS = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
const JOB_LINE = new RegExp(String.raw`^(\S.*?)\s+${HOURS}\s+${HOURS}(?:\s+(.*?))?\s*$`);
const STATEMENT = /^(home|max|mirror|cmd|cmdin|skip)=(.*)$/;

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
    if (line.trim() === 'EXIT') break;
    const problem = (message: string, severity: Diagnostic['severity'] = 'warning') =>
      diagnostics.push({ ...at, severity, message });
    const statement = STATEMENT.exec(line);
    if (statement) {
      const [, key, value = ''] = statement;
      if (key === 'max') {
        const max = Number(value.trim());
        if (!Number.isInteger(max) || max < 1) problem(`max=${value}: not a positive whole number`, 'error');
        else statements.push({ kind: 'max', max, at });
      } else if (key === 'skip') {
        statements.push({ kind: 'skip', id: value.trim(), at });
      } else if (value.trim() === '') {
        problem(`${key}= needs a value`, 'error');
      } else {
        statements.push(
          key === 'home'
            ? { kind: 'home', dir: value, at }
            : { kind: key as 'mirror' | 'cmd' | 'cmdin', command: value, at },
        );
      }
      continue;
    }
    const job = JOB_LINE.exec(line);
    if (!job) {
      problem(`unparsable line ignored: ${JSON.stringify(line)}`);
      continue;
    }
    const [, id = '', ok = '', notOk = '', rest] = job;
    try {
      const name = parseJobName(id);
      const args = rest === undefined || rest === '' ? [] : rest.split(/\s+/);
      statements.push({
        kind: 'job',
        line: { name, okHours: Number(ok), notOkHours: Number(notOk), args },
        at,
      });
    } catch (error) {
      if (!(error instanceof MirrorSchedulerError)) throw error;
      problem(`${error.message}; job refused`, 'error');
    }
  }
  return { statements, diagnostics };
}
