import { MirrorSchedulerError } from './diagnostic.js';

/** A job's name split the way mm splits it: the site is everything before the LAST `:`. */
export interface JobName {
  /** `site:package`, the job's id in mm.status and for `-o` and `skip=`. */
  readonly id: string;
  readonly site: string;
  readonly package: string;
  /** The package with white space, `/` and `'` replaced by `_` (mm's `$pkg`, used in log file names). */
  readonly pkg: string;
}

/**
 * Splits and checks `site:package`. Names reach the shell only through environment variables, so `;`, `$(...)`,
 * backquotes and quotes are harmless; what is refused is what cannot be a file name under `logs/` and
 * `packages/`: an empty site or package, a site with `/`, `.` or `..`, a leading `-`, control characters.
 * @throws {MirrorSchedulerError} `EBADNAME` with a message saying why.
 * @example
 * parseJobName('ftp.x.org:gnu tools'); // { id: 'ftp.x.org:gnu tools', site: 'ftp.x.org', package: 'gnu tools', pkg: 'gnu_tools' }
 */
export function parseJobName(id: string): JobName {
  const colon = id.lastIndexOf(':');
  if (colon < 0) throw new MirrorSchedulerError('EBADNAME', `'${id}' is not site:package`);
  const site = id.slice(0, colon);
  const pkg = id.slice(colon + 1);
  const problem = nameProblem('site', site) ?? nameProblem('package', pkg);
  if (problem !== undefined)
    throw new MirrorSchedulerError('EBADNAME', `unsafe job name '${id}': ${problem}`);
  if (site.includes('/')) {
    throw new MirrorSchedulerError('EBADNAME', `unsafe job name '${id}': the site may not contain '/'`);
  }
  return { id, site, package: pkg, pkg: pkg.replace(/[\s/']/g, '_') };
}

function nameProblem(what: string, value: string): string | undefined {
  if (value.trim() === '') return `the ${what} is empty`;
  if (value === '.' || value === '..') return `the ${what} may not be '${value}'`;
  if (value.startsWith('-')) return `the ${what} may not start with '-'`;
  if (/[\u0000-\u001f\u007f]/.test(value)) return `the ${what} contains a control character`;
  return undefined;
}
