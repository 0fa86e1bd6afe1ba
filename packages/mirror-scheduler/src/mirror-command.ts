import type { JobName } from './job-name.js';

/**
 * mm's default mirror command. `$args` are the job line's arguments plus the flags mm did not understand.
 */
export const DEFAULT_MIRROR_COMMAND =
  "exec ./mirror $args -p'$package' packages/$site > logs/$site:$pkg 2>&1";

/** A shell script with its positional parameters and environment: what `sh -c SCRIPT mm ARGS...` runs. */
export interface ShellCommand {
  readonly script: string;
  /** The positional parameters `$1...` (mm's `$args`). */
  readonly args: readonly string[];
  /** Variables the script reads (`MM_SITE`, `MM_PACKAGE`, `MM_PKG`). */
  readonly env: Readonly<Record<string, string>>;
}

const VARIABLE = {
  site: 'MM_SITE',
  package: 'MM_PACKAGE',
  pkg: 'MM_PKG',
} as const;

/**
 * Fills a mirror command template the way mm does, except that no name is ever pasted into the script.
 * `$args` becomes the job line's mirror arguments as written (`argsText`: shell text from the configuration, as
 * in the original, so `-k'remote_dir=/a b'` stays one word and `$HOME` expands) followed by `"$@"`, which carries
 * `args` (the flags mm did not understand) one word each. Then `$site`, `$package` and `$pkg` — in the template
 * and in the arguments, as the original substitutes them in that order — become references to environment
 * variables, quoted to suit where they stand (bare, inside `"..."` or inside `'...'`). Whatever the names
 * contain, the shell sees them only as data. `${site}` is accepted too; other `$` references are left to the shell.
 * @example
 * const cmd = mirrorCommand("echo '$site' $args", parseJobName('a;b:c'), ['-n'], "-k'x=a b'");
 * // cmd.script === `echo ''"$MM_SITE"'' -k'x=a b' "$@"`, cmd.env.MM_SITE === 'a;b', cmd.args = ['-n']
 */
export function mirrorCommand(
  template: string,
  name: JobName,
  args: readonly string[],
  argsText = '',
): ShellCommand {
  return {
    script: substitute(expandArgs(template, argsText)),
    args: [...args],
    env: { MM_SITE: name.site, MM_PACKAGE: name.package, MM_PKG: name.pkg },
  };
}

// Stands for `"$@"` between the two passes: a line of configuration never holds a newline.
const EXTRA_ARGS = '\n';

/** The original's first substitution: every `$args` becomes the job line's arguments, as text. */
function expandArgs(template: string, argsText: string): string {
  const text = argsText.trim();
  return template.replace(/(?<!\\)\$(?:\{args\}|args(?![A-Za-z0-9_]))/g, () =>
    text === '' ? EXTRA_ARGS : `${text} ${EXTRA_ARGS}`,
  );
}

type Quote = 'none' | 'single' | 'double';

function reference(word: string, quote: Quote): string {
  const inner =
    word === 'args' ? (quote === 'double' ? '$*' : '$@') : `$${VARIABLE[word as keyof typeof VARIABLE]}`;
  if (quote === 'double') return inner;
  if (quote === 'single') return `'"${inner}"'`;
  return `"${inner}"`;
}

const WORD = /^\$(?:\{(site|package|pkg)\}|(site|package|pkg)(?![A-Za-z0-9_]))/;

function substitute(template: string): string {
  let out = '';
  let quote: Quote = 'none';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === EXTRA_ARGS) {
      out += reference('args', quote);
      i += 1;
      continue;
    }
    if (c === '$') {
      const m = WORD.exec(template.slice(i, i + 10));
      if (m) {
        out += reference((m[1] ?? m[2])!, quote);
        i += m[0].length;
        continue;
      }
    }
    if (quote === 'single') {
      if (c === "'") quote = 'none';
    } else if (c === '\\') {
      // An escaped character is literal (`\$site` stays `$site` for the shell); copy both.
      out += template.slice(i, i + 2);
      i += 2;
      continue;
    } else if (c === "'" && quote === 'none') {
      quote = 'single';
    } else if (c === '"') {
      quote = quote === 'double' ? 'none' : 'double';
    }
    out += c;
    i += 1;
  }
  return out;
}
