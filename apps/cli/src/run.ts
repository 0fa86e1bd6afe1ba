import { guardStdout } from './shared/io-boundary.js';
import { isToolName, type ToolName, tools } from './tools.js';

/**
 * Runs a tool as its bin file does: loads it, passes it the command-line arguments and sets the exit status.
 * `suite` itself is the dispatcher.
 */
export async function run(
  tool: ToolName | 'suite',
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const stdout = guardStdout(tool);
  try {
    const mod = tool === 'suite' ? await import('./commands/suite/main.js') : await tools[tool].load();
    const status = await mod.main(argv);
    process.exitCode = stdout.failed ? 1 : status;
  } catch (error) {
    // A tool reports its own errors; reaching here is a bug, so show everything.
    process.stderr.write(
      `${tool}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  }
}

export { isToolName };
