// The one option parser of every command. Two modes: GNU getopt_long (the util-linux tools, `lock`) and BSD getopt
// (the ctm tools, mm, pkgs_to_mmin); one spec shape for both.

/** Whether an option takes an argument: never, always (attached or the next word), or only attached. */
export type ArgumentKind = 'none' | 'required' | 'optional';

/**
 * One option of a command. An option with several names (`-x` and `-e`, `--nb` and `--nonblock`) is given as
 * several entries with the same `key`.
 * @example
 * const count: OptionDef = { short: 'C', long: 'count', arg: 'required' }; // key 'C'
 */
export interface OptionDef {
  /** Its letter (`'C'` for `-C`), if it has one. */
  readonly short?: string;
  /** Its long name (`'count'` for `--count`), if it has one. */
  readonly long?: string;
  /** Whether it takes an argument (default `'none'`). */
  readonly arg?: ArgumentKind;
  /** What it is reported as: default its letter, else its long name. */
  readonly key?: string;
}

/**
 * How a command's line is read.
 * - `gnu`: glibc's getopt_long. Operands may stand anywhere (permutation) unless `inOrder` (getopt_long's `+`:
 *   the first operand ends the options, as flock(1) has it); a long option may be abbreviated to any unambiguous
 *   prefix; glibc's messages.
 * - `bsd`: BSD getopt(3). The first operand (or a lone `-`) ends the options; long options, a suite addition where
 *   a tool has any, are matched exactly; a `--word` that is none of them is read as letters when
 *   `unknownLong: 'letters'` (as getopt(3) itself reads it), else refused.
 *
 * In both modes letters may be clustered (`-rt`), a letter's argument is the rest of its word or else the next word
 * (`-C5`, `-C 5`), a long option's is `--name=value` or the next word, and `--` ends the options and is consumed.
 * @example
 * const spec: CommandLineSpec = {
 *   mode: 'gnu',
 *   options: [{ short: 'r', long: 'random' }, { short: 't', long: 'time' }],
 *   exclusive: [['r', 't']],
 * };
 */
export interface CommandLineSpec {
  readonly mode: 'gnu' | 'bsd';
  readonly options: readonly OptionDef[];
  /** gnu: stop at the first operand instead of permuting. */
  readonly inOrder?: boolean;
  /** bsd: what a `--word` that is no long option is. */
  readonly unknownLong?: 'error' | 'letters';
  /**
   * Groups of option keys that exclude each other, as util-linux's `excl` tables: the second of a group given is
   * an `exclusive` error (an option given twice is no clash).
   */
  readonly exclusive?: readonly (readonly string[])[];
}

/** One option found on the command line, in command-line order. */
export interface ParsedOption {
  /** The key of its {@link OptionDef}. */
  readonly key: string;
  /** Its name as matched: `-x`, or `--name` in full (an abbreviation resolved). */
  readonly name: string;
  /** Its argument; undefined for a flag or an optional argument not given. */
  readonly value: string | undefined;
}

/** What went wrong with the command line. */
export type GetoptErrorKind =
  | 'invalid'
  | 'unrecognized'
  | 'missing'
  | 'ambiguous'
  | 'no-argument'
  | 'exclusive';

/**
 * A command-line mistake. `message` is the mode's wording: glibc's for `gnu` (`invalid option -- 'x'`,
 * `unrecognized option '--foo'`, `option requires an argument -- 'x'`, `option '--foo' requires an argument`,
 * `option '--foo' doesn't allow an argument`, `option '--fo' is ambiguous; possibilities: '--foo' '--fob'`),
 * ctm(1)'s for `bsd` (`option 'x' not supported`, `option 'x' requires an argument`); util-linux 2.42's for an
 * exclusive clash in either (`options --random and --time cannot be combined`). The caller prefixes the program
 * name; a tool with other wording words it from `kind`, `option` and `candidates`.
 * @example
 * try {
 *   parseCommandLine(['-q'], spec);
 * } catch (error) {
 *   if (error instanceof GetoptError) console.error(`uuidgen: ${error.message}`);
 * }
 */
export class GetoptError extends Error {
  readonly code = 'EUSAGE';
  /**
   * @param kind what is wrong
   * @param option the option as written: `-x`, or `--name` before any `=` (for `exclusive`, the later one)
   * @param word the whole word it came in (`--name=value`)
   * @param candidates for `ambiguous`, the long names it may mean; for `exclusive`, the option given first
   * @param parsed the options read before it
   */
  constructor(
    message: string,
    readonly kind: GetoptErrorKind,
    readonly option: string,
    readonly word: string,
    readonly candidates: readonly string[],
    readonly parsed: readonly ParsedOption[],
  ) {
    super(message);
    this.name = 'GetoptError';
  }
}

interface Problem {
  readonly kind: GetoptErrorKind;
  readonly option: string;
  readonly word: string;
  readonly candidates?: readonly string[];
}

function gnuMessage(p: Problem): string {
  switch (p.kind) {
    case 'invalid':
      return `invalid option -- '${p.option.slice(1)}'`;
    case 'unrecognized':
      return `unrecognized option '${p.word}'`;
    case 'missing':
      return p.option.startsWith('--')
        ? `option '${p.option}' requires an argument`
        : `option requires an argument -- '${p.option.slice(1)}'`;
    case 'ambiguous':
      return `option '${p.word}' is ambiguous; possibilities: ${p.candidates!.map((c) => `'${c}'`).join(' ')}`;
    case 'no-argument':
      return `option '${p.option}' doesn't allow an argument`;
    case 'exclusive':
      return `options ${p.candidates![0]} and ${p.option} cannot be combined`;
  }
}

function bsdMessage(p: Problem): string {
  const letter = p.option.length === 2 ? p.option.slice(1) : p.option; // -x is a letter, --name a long option
  switch (p.kind) {
    case 'invalid':
    case 'unrecognized':
    case 'ambiguous':
      return `option '${letter}' not supported`;
    case 'missing':
      return `option '${letter}' requires an argument`;
    case 'no-argument':
      return `option '${letter}' doesn't allow an argument`;
    case 'exclusive':
      return gnuMessage(p);
  }
}

/**
 * Reads a command line by `spec`, one option at a time: iterate it for the options in command-line order, then
 * read `operands`. An error throws a {@link GetoptError} when it is met, so a command that acts on an option as it
 * comes (`-h` before a bad option prints the help) sees the options before it first; with `onError`, errors are
 * reported there instead and the scan goes on, as getopt(3) returns `?` and goes on.
 * @example
 * const line = new CommandLine(['-C', '3', 'x', '-r'], spec);
 * for (const { key, value } of line) console.log(key, value); // C 3, then r
 * line.operands; // ['x']
 */
export class CommandLine implements Iterable<ParsedOption> {
  readonly #argv: readonly string[];
  readonly #spec: CommandLineSpec;
  readonly #onError: ((error: GetoptError) => void) | undefined;
  readonly #operands: string[] = [];
  readonly #parsed: ParsedOption[] = [];

  constructor(argv: readonly string[], spec: CommandLineSpec, onError?: (error: GetoptError) => void) {
    this.#argv = argv;
    this.#spec = spec;
    this.#onError = onError;
  }

  /** The operands, in order (complete once iteration has ended). */
  get operands(): string[] {
    return this.#operands;
  }

  *[Symbol.iterator](): Iterator<ParsedOption> {
    const argv = this.#argv;
    const spec = this.#spec;
    const permute = spec.mode === 'gnu' && !spec.inOrder;
    const defs = spec.options;
    const keyOf = (def: OptionDef) => def.key ?? def.short ?? def.long!;
    const firstOf = new Map<readonly string[], ParsedOption>();
    let i = 0;
    /** Yields the option, or reports the clash it makes with one of its group given before. */
    const found = (def: OptionDef, name: string, value: string | undefined): ParsedOption | Problem => {
      const option = { key: keyOf(def), name, value };
      for (const group of spec.exclusive ?? []) {
        if (!group.includes(option.key)) continue;
        const first = firstOf.get(group);
        if (first === undefined) firstOf.set(group, option);
        else if (first.key !== option.key)
          return {
            kind: 'exclusive',
            option: this.#display(option.key),
            word: name,
            candidates: [this.#display(first.key)],
          };
      }
      return option;
    };
    /** What one word holds, in order: its options and its errors. */
    const items: (ParsedOption | Problem)[] = [];
    while (i < argv.length) {
      const word = argv[i]!;
      if (word === '--') {
        this.#operands.push(...argv.slice(i + 1));
        return;
      }
      if (!word.startsWith('-') || word === '-') {
        if (!permute) {
          this.#operands.push(...argv.slice(i));
          return;
        }
        this.#operands.push(word);
        i++;
        continue;
      }
      i++;
      items.length = 0;
      const long = word.startsWith('--') ? matchLong(word, spec) : undefined;
      if (long !== undefined && !('letters' in long)) {
        if ('kind' in long) items.push(long);
        else {
          const { def, value } = long;
          const name = `--${def.long}`;
          const arg = def.arg ?? 'none';
          if (value !== undefined && arg === 'none') items.push({ kind: 'no-argument', option: name, word });
          else if (value === undefined && arg === 'required') {
            if (i < argv.length) items.push(found(def, name, argv[i++]));
            else items.push({ kind: 'missing', option: name, word });
          } else items.push(found(def, name, value));
        }
      } else {
        for (let j = 1; j < word.length; j++) {
          const letter = word[j]!;
          const name = `-${letter}`;
          const def = defs.find((d) => d.short === letter);
          if (def === undefined) {
            items.push({ kind: 'invalid', option: name, word });
            continue;
          }
          const arg = def.arg ?? 'none';
          if (arg === 'none') {
            items.push(found(def, name, undefined));
            continue;
          }
          if (j + 1 < word.length) items.push(found(def, name, word.slice(j + 1)));
          else if (arg === 'optional') items.push(found(def, name, undefined));
          else if (i < argv.length) items.push(found(def, name, argv[i++]));
          else items.push({ kind: 'missing', option: name, word });
          break;
        }
      }
      for (const item of items) {
        if ('key' in item) {
          this.#parsed.push(item);
          yield item;
          continue;
        }
        const error = errorOf(item, spec, [...this.#parsed]);
        if (this.#onError === undefined) throw error;
        this.#onError(error);
      }
    }
  }

  /** `--key` for an option key with a long name, else `-key`: how util-linux names an option in its clash message. */
  #display(key: string): string {
    const def = this.#spec.options.find((d) => (d.key ?? d.short ?? d.long) === key);
    return def?.long ? `--${def.long}` : `-${key}`;
  }
}

/** The long option `word` names (with its attached value), a problem, or `letters` to read it as a cluster. */
function matchLong(
  word: string,
  spec: CommandLineSpec,
): { def: OptionDef; value: string | undefined } | Problem | { letters: true } {
  const eq = word.indexOf('=');
  const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
  const option = `--${name}`;
  const value = eq < 0 ? undefined : word.slice(eq + 1);
  const defs = spec.options.filter((d) => d.long !== undefined);
  const exact = defs.find((d) => d.long === name);
  if (exact !== undefined) return { def: exact, value };
  if (spec.mode === 'bsd') {
    if (spec.unknownLong === 'letters') return { letters: true };
    return { kind: 'unrecognized', option, word };
  }
  const matches = defs.filter((d) => d.long!.startsWith(name));
  if (matches.length === 0) return { kind: 'unrecognized', option, word };
  const first = matches[0]!;
  // glibc: prefixes of several names of one option (same key, same argument) are no ambiguity.
  const same = (d: OptionDef) =>
    (d.key ?? d.short ?? d.long) === (first.key ?? first.short ?? first.long) &&
    (d.arg ?? 'none') === (first.arg ?? 'none');
  if (matches.every(same)) return { def: first, value };
  return { kind: 'ambiguous', option, word, candidates: matches.map((d) => `--${d.long}`) };
}

/**
 * One `--name` or `--name=value` word as `spec` reads it, for a command that walks its own words (mm, whose
 * single-dash words are Perl-style): the option, its attached value, and whether it takes one. Taking a required
 * value from the next word is the caller's. Throws a {@link GetoptError} for an unknown, ambiguous (gnu) or
 * valued flag.
 * @example
 * readLongOption('--grace=5', { mode: 'bsd', options: [{ long: 'grace', arg: 'required' }] });
 * // { key: 'grace', name: '--grace', value: '5', arg: 'required' }
 */
export function readLongOption(
  word: string,
  spec: CommandLineSpec,
): ParsedOption & { readonly arg: ArgumentKind } {
  const found = matchLong(word, { ...spec, unknownLong: 'error' });
  if ('letters' in found) throw new Error('unreachable');
  if ('kind' in found) throw errorOf(found, spec, []);
  const { def, value } = found;
  const name = `--${def.long}`;
  const arg = def.arg ?? 'none';
  if (value !== undefined && arg === 'none')
    throw errorOf({ kind: 'no-argument', option: name, word }, spec, []);
  return { key: def.key ?? def.short ?? def.long!, name, value, arg };
}

function errorOf(item: Problem, spec: CommandLineSpec, parsed: readonly ParsedOption[]): GetoptError {
  const message = spec.mode === 'gnu' ? gnuMessage(item) : bsdMessage(item);
  return new GetoptError(message, item.kind, item.option, item.word, item.candidates ?? [], parsed);
}

/**
 * Reads a whole command line: every option in order, and the operands. Throws the first {@link GetoptError}.
 * @example
 * const { options, operands } = parseCommandLine(['-rC', '2', 'x'], {
 *   mode: 'gnu',
 *   options: [{ short: 'r' }, { short: 'C', arg: 'required' }],
 * });
 * // options: [{ key: 'r', name: '-r', value: undefined }, { key: 'C', name: '-C', value: '2' }]; operands: ['x']
 */
export function parseCommandLine(
  argv: readonly string[],
  spec: CommandLineSpec,
): { options: ParsedOption[]; operands: string[] } {
  const line = new CommandLine(argv, spec);
  const options = [...line];
  return { options, operands: line.operands };
}
