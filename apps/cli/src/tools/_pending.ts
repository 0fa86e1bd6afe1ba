import type { ToolModule } from '../tools.js';

/** A tool whose issue has not landed yet: it says so and fails. */
export function pending(tool: string, issue: number): ToolModule['main'] {
  return async () => {
    process.stderr.write(`${tool}: not available yet: it arrives with issue #${issue}\n`);
    return 1;
  };
}
