import { versionText } from '../../shared/version.js';
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
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    process.stdout.write(versionText('suite'));
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? process.stderr : process.stdout).write(usage());
    return first === undefined ? 2 : 0;
  }
  if (!isToolName(first)) {
    process.stderr.write(`suite: unknown tool '${first}'\n\n${usage()}`);
    return 2;
  }
  return (await tools[first].load()).main(rest);
}
