import { defineTool, type ToolContext } from '../../shared/define-tool.js';
import { isToolName, tools } from '../../tools.js';

function usage(): string {
  const width = Math.max(...Object.keys(tools).map((name) => name.length));
  const lines = Object.entries(tools).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`);
  return [
    'Usage: suite <tool> [arguments...]',
    '',
    'Tools:',
    ...lines,
    '',
    'Run `suite <tool> --help` for a tool.',
    '',
  ].join('\n');
}

/** `suite <tool> args...` runs a tool; `suite --help` lists them. */
export const { main } = defineTool({ name: 'suite', help: usage(), answers: 'options', run: suite });

async function suite(argv: readonly string[], tool: ToolContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') return tool.version();
  if (first === '--help' || first === '-h' || first === 'help') return tool.help();
  if (first === undefined) {
    process.stderr.write(usage());
    return 2;
  }
  if (!isToolName(first)) {
    process.stderr.write(`suite: unknown tool '${first}'\n\n${usage()}`);
    return 2;
  }
  return (await tools[first].load()).main(rest);
}
