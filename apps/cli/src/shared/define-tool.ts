// What every command shares at its start and its end: the standard-output boundary, --help and --version, the exit
// status, and no stack trace for anything but a bug.
import type { ToolModule } from '../tools.js';
import { guardStdout } from './io-boundary.js';
import { versionText } from './version.js';

/** What a command's body gets from {@link defineTool}. */
export interface ToolContext {
  /** The command's name, as its messages begin. */
  readonly name: string;
  /** Prints the command's help on stdout; returns the status 0 (for `return tool.help()`). */
  help(): Promise<number>;
  /** Prints the command's version on stdout; returns the status 0. */
  version(): Promise<number>;
}

/** A command, as {@link defineTool} takes it. */
export interface ToolDefinition {
  /** The bin name (`uuidgen`), which begins its messages. */
  readonly name: string;
  /** Its `--help` text. */
  readonly help?: string;
  /** Its `--version` text; by default {@link versionText} of its name. */
  readonly version?: string;
  /**
   * Where `--help` and `--version` are answered. `first` (the default): when the first argument is one of
   * `helpWords` (default `--help`) or `--version`, before the command reads its options (the BSD and Perl tools,
   * whose own getopt knows no long options). `options`: the command's option parser finds them among the others,
   * in order, and calls `tool.help()` or `tool.version()` (the getopt_long tools: `uuidgen -r --help` helps,
   * `uuidgen --bogus --help` is an error).
   */
  readonly answers?: 'first' | 'options';
  /** With `answers: 'first'`, the words that ask for help. */
  readonly helpWords?: readonly string[];
  /** The command itself: resolves to its exit status. */
  run(argv: readonly string[], tool: ToolContext): Promise<number>;
}

/** Internal software error (sysexits' EX_SOFTWARE): a bug reached the top of a command. */
const EX_SOFTWARE = 70;

/**
 * Makes a command of the suite: `main(argv)` guards standard output (a reader that goes away ends the output
 * quietly; a write error is `NAME: write error: ...` and status 1), answers `--help` and `--version`, runs the
 * command and returns its status. A command reports its own errors, so an exception reaching here is a bug: it is
 * shown whole, as `NAME: internal error: ...`, with status 70. Commands dispatched by `suite` share its boundary.
 * @example
 * export const { main } = defineTool({
 *   name: 'hello',
 *   help: 'Usage: hello\n',
 *   async run(argv) {
 *     process.stdout.write('hello\n');
 *     return 0;
 *   },
 * });
 */
export function defineTool(definition: ToolDefinition): ToolModule {
  const { name } = definition;
  const print = (text: string) =>
    new Promise<number>((resolve) => {
      // Resolved once written, or once the write failed: the boundary reports a failure and sets the status.
      process.stdout.write(text, () => resolve(0));
    });
  const tool: ToolContext = {
    name,
    help: () => print(definition.help ?? ''),
    version: () => print(definition.version ?? versionText(name)),
  };
  return {
    async main(argv) {
      const stdout = guardStdout(name);
      let status: number;
      try {
        const first = argv[0];
        if ((definition.answers ?? 'first') === 'first' && first !== undefined) {
          if (first === '--version') status = await tool.version();
          else if ((definition.helpWords ?? ['--help']).includes(first)) status = await tool.help();
          else status = await definition.run(argv, tool);
        } else status = await definition.run(argv, tool);
      } catch (error) {
        process.stderr.write(
          `${stdout.program}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        return EX_SOFTWARE;
      }
      return stdout.failed ? 1 : status;
    },
  };
}
