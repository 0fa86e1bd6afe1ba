import { isToolName, type ToolName, tools } from './tools.js';

/**
 * Runs a tool as its bin file does: loads it, passes it the command-line arguments and sets the exit status.
 * `suite` itself is the dispatcher. Each command's prologue and epilogue (standard output, --help, --version, its
 * status) are its defineTool()'s.
 */
export async function run(
  tool: ToolName | 'suite',
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  let mod: Awaited<ReturnType<(typeof tools)[ToolName]['load']>>;
  try {
    mod = tool === 'suite' ? await import('./commands/suite/main.js') : await tools[tool].load();
  } catch (error) {
    // A command that cannot be loaded is a broken install or a bug: show everything.
    process.stderr.write(
      `${tool}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
    return;
  }
  process.exitCode = await mod.main(argv);
}

export { isToolName };
