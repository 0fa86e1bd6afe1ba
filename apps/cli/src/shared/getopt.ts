/** One option as glibc's getopt_long sees it. */
export interface OptionSpec {
  /** The short letter ('r'), if any. */
  readonly short?: string;
  /** The long name ('random'), if any. */
  readonly long?: string;
  /** Whether it takes an argument. */
  readonly hasArg: boolean;
  /** The key it is reported under: the short letter, or the long name if there is no letter. */
  readonly key: string;
}

/** A parsed option, in command-line order. */
export interface ParsedOption {
  readonly key: string;
  readonly value?: string;
}

/** A getopt error, worded as glibc words it (the caller prefixes the program name and adds the --help hint). */
export class GetoptError extends Error {
  readonly code = 'EUSAGE';
  /** The options parsed before the bad one (util-linux checks exclusions as it goes, so those come first). */
  parsed: readonly ParsedOption[] = [];
}

/**
 * Parses arguments like glibc's getopt_long with permutation: short options may be clustered (`-rt`) and take
 * their argument attached or as the next word (`-C5`, `-C 5`); long options take `--name=value` or
 * `--name value` and may be abbreviated to any unique prefix; `--` ends the options; other words are operands,
 * wherever they stand.
 */
export function getopt(
  argv: readonly string[],
  specs: readonly OptionSpec[],
): { options: ParsedOption[]; operands: string[] } {
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  try {
    parseInto(argv, specs, options, operands);
  } catch (error) {
    if (error instanceof GetoptError) error.parsed = options;
    throw error;
  }
  return { options, operands };
}

function parseInto(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  options: ParsedOption[],
  operands: string[],
) {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const exact = specs.find((s) => s.long === name);
      const candidates = exact ? [exact] : specs.filter((s) => s.long?.startsWith(name));
      if (candidates.length === 0) throw new GetoptError(`unrecognized option '${word}'`);
      if (candidates.length > 1) {
        const list = candidates.map((s) => `'--${s.long}'`).join(' ');
        throw new GetoptError(
          `option '${eq < 0 ? word : word.slice(0, eq)}' is ambiguous; possibilities: ${list}`,
        );
      }
      const spec = candidates[0] as OptionSpec;
      if (!spec.hasArg) {
        if (eq >= 0) throw new GetoptError(`option '--${spec.long}' doesn't allow an argument`);
        options.push({ key: spec.key });
      } else if (eq >= 0) {
        options.push({ key: spec.key, value: word.slice(eq + 1) });
      } else {
        if (i + 1 >= argv.length) throw new GetoptError(`option '--${spec.long}' requires an argument`);
        options.push({ key: spec.key, value: argv[++i] as string });
      }
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let j = 1; j < word.length; j++) {
        const letter = word[j] as string;
        const spec = specs.find((s) => s.short === letter);
        if (!spec) throw new GetoptError(`invalid option -- '${letter}'`);
        if (!spec.hasArg) {
          options.push({ key: spec.key });
          continue;
        }
        if (j + 1 < word.length) options.push({ key: spec.key, value: word.slice(j + 1) });
        else if (i + 1 < argv.length) options.push({ key: spec.key, value: argv[++i] as string });
        else throw new GetoptError(`option requires an argument -- '${letter}'`);
        break;
      }
      continue;
    }
    operands.push(word);
  }
}

/**
 * util-linux's err_exclusive_options (2.42): the first option of a group that is given excludes the others of that
 * group. Returns the message for the first clash, in command-line order, naming the option given first and the
 * one that clashes with it (`options --random and --time cannot be combined`), or undefined.
 */
export function exclusiveClash(
  options: readonly ParsedOption[],
  groups: readonly (readonly string[])[],
  specs: readonly OptionSpec[],
): string | undefined {
  const seen = new Map<readonly string[], string>();
  const nameOf = (key: string) => {
    const spec = specs.find((s) => s.key === key);
    return spec?.long ? `--${spec.long}` : `-${key}`;
  };
  for (const { key } of options) {
    for (const group of groups) {
      if (!group.includes(key)) continue;
      const first = seen.get(group);
      if (first === undefined) seen.set(group, key);
      else if (first !== key) return `options ${nameOf(first)} and ${nameOf(key)} cannot be combined`;
    }
  }
  return undefined;
}
