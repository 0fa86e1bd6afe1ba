import { CtmError, CtmExit } from './errors.js';

/**
 * Checks a name from a delta and returns it without a trailing slash. Refuses (before anything changes) absolute
 * names, `..` and `.` components, empty components and NUL bytes: a delta may only name things below its tree.
 * @example
 * deltaName('src/bin/'); // 'src/bin'
 * deltaName('../etc/passwd'); // throws CtmError EHOSTILENAME
 */
export function deltaName(raw: string): string {
  const name = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  if (raw.startsWith('/')) throw hostile(raw, 'Absolute paths are illegal.');
  if (name === '') throw hostile(raw, 'Empty names are illegal.');
  if (name.includes('\0')) throw hostile(raw, 'Names containing NUL are illegal.');
  for (const part of name.split('/')) {
    if (part === '..') throw hostile(raw, "Paths containing '..' are illegal.");
    if (part === '.' || part === '') throw hostile(raw, "Paths containing '.' or '//' are illegal.");
  }
  return name;
}

/** The directories above `name`, outermost first: `a/b/c` → `a`, `a/b`. */
export function parentsOf(name: string): string[] {
  const out: string[] = [];
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) out.push(name.slice(0, i));
  return out;
}

function hostile(name: string, why: string): CtmError {
  return new CtmError('EHOSTILENAME', `${why} (${JSON.stringify(name)})`, CtmExit.Mess);
}
