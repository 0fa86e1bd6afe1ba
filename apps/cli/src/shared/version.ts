import { readFileSync } from 'node:fs';

/** The version of @suite/cli, from its package.json (beside `dist/`, where every built chunk lives). */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** What each tool re-implements, for its `--version` line. */
const ORIGINALS: Readonly<Record<string, string>> = {
  uuidgen: 'util-linux 2.42',
  uuidparse: 'util-linux 2.42',
  uuidd: 'util-linux 2.42',
  mm: 'Mirror Master 2.9',
  pkgs_to_mmin: 'Mirror Master 2.9',
  ctm_smail: 'FreeBSD ctm',
  ctm_dequeue: 'FreeBSD ctm',
  ctm_rmail: 'FreeBSD ctm',
  ctm: 'FreeBSD ctm',
};

/**
 * A tool's `--version` output. The util-linux tools keep util-linux's `-V` form, so scripts that sniff it still
 * work, with our version after it; the others name our package and what they are compatible with.
 * @example
 * versionText('uuidgen'); // 'uuidgen from util-linux 2.42 (@suite/cli 0.1.0)\n'
 * versionText('mm');      // 'mm from @suite/cli 0.1.0 (Mirror Master 2.9 compatible)\n'
 */
export function versionText(program: string): string {
  const original = ORIGINALS[program];
  if (original?.startsWith('util-linux '))
    return `${program} from ${original} (@suite/cli ${cliVersion()})\n`;
  return `${program} from @suite/cli ${cliVersion()}${original ? ` (${original} compatible)` : ''}\n`;
}
