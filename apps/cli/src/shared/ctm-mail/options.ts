import { CommandLine, GetoptError } from '../getopt.js';

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
  const line = new CommandLine(argv, {
    mode: 'bsd',
    unknownLong: 'error',
    options: [
      ...[...spec.flags].map((short) => ({ short })),
      ...[...spec.values].map((short) => ({ short, arg: 'required' as const })),
      ...spec.long.map((long) => ({ long, arg: 'required' as const })),
    ],
  });
  try {
    for (const { key, value } of line) options.set(key, value ?? true);
  } catch (error) {
    if (!(error instanceof GetoptError)) throw error;
    if (error.kind === 'missing') throw new UsageError(`option '${error.option}' needs a value`);
    throw new UsageError(`unknown option '${error.option}'`);
  }
  return { options, operands: line.operands };
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
