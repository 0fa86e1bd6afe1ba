/** What a tool accepts: one-letter flags and valued options (as the originals' options.h), and long options. */
export interface OptionSpec {
  readonly flags: string;
  readonly values: string;
  readonly long: readonly string[];
}

/** Parsed arguments: letters and long names to values (`true` for flags), then the operands. */
export interface ParsedArgs {
  readonly options: ReadonlyMap<string, string | true>;
  readonly operands: readonly string[];
}

/** Thrown for a command line the tool cannot take; the tool prints its usage and exits 1. */
export class UsageError extends Error {}

/**
 * Parses `argv` as the originals do: options first, flags grouped behind one dash (`-Dfv`), a value glued to its
 * letter or in the next argument (`-p dir`, `-pdir`), `--` ends the options, `-` alone is an operand. Long options
 * (`--name VALUE` or `--name=VALUE`) are this suite's additions.
 */
export function parseArgs(argv: readonly string[], spec: OptionSpec): ParsedArgs {
  const options = new Map<string, string | true>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (!spec.long.includes(name)) throw new UsageError(`unknown option '--${name}'`);
      let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined) throw new UsageError(`option '--${name}' needs a value`);
      }
      options.set(name, value);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      if (spec.flags.includes(letter)) {
        options.set(letter, true);
      } else if (spec.values.includes(letter)) {
        let value: string | undefined = arg.slice(j + 1);
        if (value === '') {
          value = argv[++i];
          if (value === undefined) throw new UsageError(`option '-${letter}' needs a value`);
        }
        options.set(letter, value);
        break;
      } else {
        throw new UsageError(`unknown option '-${letter}'`);
      }
    }
  }
  return { options, operands: argv.slice(i) };
}

/** A decimal count given to `-letter`, at least `min`; a clear error otherwise. */
export function numberOption(
  value: string | true | undefined,
  letter: string,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (value === true || !/^\s*\d+$/.test(value)) {
    throw new UsageError(`-${letter} needs a number, not '${String(value)}'`);
  }
  const n = Number.parseInt(value, 10);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`-${letter} must be at least ${min}, not ${value.trim()}`);
  return n;
}

/** A string option's value, if given. */
export function stringOption(value: string | true | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
