/** One option as the scanner found it. */
export interface ScannedOption {
  /** `-x` for a letter (of a cluster such as `-Dfv`), `--name` for a long option, as written before any `=`. */
  readonly name: string;
  /** Its value: attached (`-pdir`, `--name=value`) or the next argument; undefined for a flag or when missing. */
  readonly value: string | undefined;
  /** The option takes a value but the arguments ended first. */
  readonly missing: boolean;
  /** The value came with `=` (`--name=value`): a caller refuses it for a long option that takes none. */
  readonly attached: boolean;
}

/**
 * Scans a command line the way BSD getopt(3) does, for the tools that follow it (ctm, ctm_smail and friends,
 * flock-like `lock`): options come first; letters may be clustered behind one dash (`-Dfv`); a letter that takes
 * a value takes the rest of its word or else the next argument (`-pdir`, `-p dir`); `--` ends the options and is
 * consumed; the first operand or a lone `-` ends them and is kept. With `long`, `--name` and `--name=value` are
 * long options (a suite addition); without, `--name` is a cluster of letters, as getopt(3) reads it.
 *
 * What an option means, and what to do about an unknown one, is the caller's: `takesValue(name)` is asked for
 * every `-x` and `--name` (as written, so a caller that accepts abbreviations resolves them there), and every
 * option is yielded, known or not. After the loop (or a `break` out of it), `operands` are what follows.
 * @example
 * const scan = new OptionScanner(argv, (name) => name === '-p');
 * for (const option of scan) if (option.name === '-p') dir = option.value;
 * const files = scan.operands;
 */
export class OptionScanner implements Iterable<ScannedOption> {
  readonly #argv: readonly string[];
  readonly #takesValue: (name: string) => boolean;
  readonly #long: boolean;
  /** The index of the next argument not yet scanned. */
  #index = 0;

  constructor(
    argv: readonly string[],
    takesValue: (name: string) => boolean,
    options: { readonly long?: boolean } = {},
  ) {
    this.#argv = argv;
    this.#takesValue = takesValue;
    this.#long = options.long ?? true;
  }

  /** The arguments after the options (valid once iteration has ended or was left). */
  get operands(): string[] {
    return this.#argv.slice(this.#index);
  }

  *[Symbol.iterator](): Iterator<ScannedOption> {
    const argv = this.#argv;
    while (this.#index < argv.length) {
      const arg = argv[this.#index]!;
      if (arg === '--') {
        this.#index++;
        return;
      }
      if (!arg.startsWith('-') || arg === '-') return;
      this.#index++;
      if (this.#long && arg.startsWith('--')) {
        const eq = arg.indexOf('=');
        const name = eq < 0 ? arg : arg.slice(0, eq);
        if (eq >= 0) yield { name, value: arg.slice(eq + 1), missing: false, attached: true };
        else if (this.#takesValue(name)) yield this.#next(name);
        else yield { name, value: undefined, missing: false, attached: false };
        continue;
      }
      for (let j = 1; j < arg.length; j++) {
        const name = `-${arg[j]}`;
        if (!this.#takesValue(name)) {
          yield { name, value: undefined, missing: false, attached: false };
          continue;
        }
        if (j + 1 < arg.length) yield { name, value: arg.slice(j + 1), missing: false, attached: false };
        else yield this.#next(name);
        break;
      }
    }
  }

  /** The option `name` with the next argument as its value, or missing. */
  #next(name: string): ScannedOption {
    const value = this.#argv[this.#index];
    if (value === undefined) return { name, value: undefined, missing: true, attached: false };
    this.#index++;
    return { name, value, missing: false, attached: false };
  }
}
