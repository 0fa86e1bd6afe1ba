import type { Diagnostic, SourcePosition } from './diagnostic.js';
import { MirrorSchedulerError } from './diagnostic.js';
import { parseJobName } from './job-name.js';

/** One package of a mirror package file: its `key=value` settings and where it starts. */
export interface MirrorPackage {
  readonly settings: Readonly<Record<string, string>>;
  readonly at: SourcePosition;
}

/**
 * Parses a mirror package file: `key=value` lines (white space allowed around `=`), `#` comments. A package ends
 * at a blank line, at the next `package=` line, or at the end of the file.
 * @example
 * parsePackageFile('package=gnu\nsite=ftp.gnu.org\n\npackage=x11\nsite=ftp.x.org\n', 'uk').packages.length; // 2
 */
export function parsePackageFile(
  text: string,
  file: string,
): { packages: MirrorPackage[]; diagnostics: Diagnostic[] } {
  const packages: MirrorPackage[] = [];
  const diagnostics: Diagnostic[] = [];
  let current: { settings: Record<string, string>; at: SourcePosition } | undefined;
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    const at = { file, line: index + 1 };
    if (line.trim() === '') {
      if (current) packages.push(current);
      current = undefined;
      continue;
    }
    if (/^\s*#/.test(line)) continue;
    const m = /^\s*([A-Za-z_][\w-]*)\s*=\s?(.*)$/.exec(line);
    if (!m) {
      diagnostics.push({
        ...at,
        severity: 'warning',
        message: `not a key=value line: ${JSON.stringify(line)}`,
      });
      continue;
    }
    const key = m[1]!;
    // A package= line starts a new package even without a blank line before it, as in pkgs_to_mmin.pl.
    if (key === 'package' && current?.settings.package !== undefined) {
      packages.push(current);
      current = undefined;
    }
    current ??= { settings: {}, at };
    // `package=  x11  ` is x11: pkgs_to_mmin.pl trims the name (other values keep inner blanks).
    current.settings[key] = key === 'package' ? m[2]!.trim() : m[2]!.trimEnd();
  }
  if (current) packages.push(current);
  return { packages, diagnostics };
}

/**
 * The mm job lines for one package file (pkgs_to_mmin): `SITE:package OK NOTOK` for each package, where SITE is
 * the file's base name. `package=defaults` sets defaults and is not a job; packages with `skip=`, without
 * `package=` or without a `site=` (own or default), and names mm would refuse, are left out with a warning.
 * @example
 * packageFileToJobLines('package=gnu\nsite=ftp.gnu.org\n', 'packages/uk', 'uk', 8, 8).lines; // ['uk:gnu 8 8']
 */
export function packageFileToJobLines(
  text: string,
  file: string,
  basename: string,
  okHours: number,
  notOkHours: number,
): { lines: string[]; diagnostics: Diagnostic[] } {
  const { packages, diagnostics } = parsePackageFile(text, file);
  const lines: string[] = [];
  let defaults: Readonly<Record<string, string>> = {};
  for (const { settings, at } of packages) {
    const warn = (message: string) => diagnostics.push({ ...at, severity: 'warning', message });
    const name = settings.package;
    if (name === undefined) {
      warn('package without package= ignored');
      continue;
    }
    if (name === 'defaults') {
      defaults = { ...defaults, ...settings };
      continue;
    }
    if (settings.skip !== undefined) continue;
    if (!(settings.site?.trim() || defaults.site?.trim())) {
      warn(`package ${name} has no site= and is left out`);
      continue;
    }
    try {
      const job = parseJobName(`${basename}:${name}`);
      lines.push(`${job.id} ${okHours} ${notOkHours}`);
    } catch (error) {
      if (!(error instanceof MirrorSchedulerError)) throw error;
      warn(`${error.message}; left out`);
    }
  }
  return { lines, diagnostics };
}
