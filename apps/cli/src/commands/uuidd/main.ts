import { defineTool, type ToolContext } from '../../shared/define-tool.js';
import { killDaemon, requestUuids, UuiddExit } from './client-mode.js';
import { childIo, daemonize, isDaemonChild, serve, serveAsWorker } from './daemon.js';
import { parseUuiddArgs, USAGE } from './options.js';
import { workerIndex } from './workers.js';

const stdout = (text: string) => void process.stdout.write(text);

/**
 * `uuidd`: util-linux's UUID daemon and its client modes, with the same options, messages and exit codes.
 * Without -d, -F or -S the daemon detaches (a re-spawned child) and this process exits once it serves.
 */
export const { main } = defineTool({ name: 'uuidd', help: USAGE, answers: 'options', run: uuidd });

async function uuidd(argv: readonly string[], tool: ToolContext): Promise<number> {
  const parsed = await parseUuiddArgs(argv, tool);
  if ('exit' in parsed) {
    if (parsed.stderr) process.stderr.write(parsed.stderr);
    return parsed.exit;
  }
  const { options } = parsed;
  for (const warning of parsed.warnings) process.stderr.write(`uuidd: ${warning}\n`);
  try {
    if (options.type !== undefined) {
      await requestUuids(options, stdout);
      return 0;
    }
    if (options.kill) {
      await killDaemon(options, stdout);
      return 0;
    }
  } catch (error) {
    if (!(error instanceof UuiddExit)) throw error;
    if (error.message) process.stderr.write(`${error.message}\n`);
    return error.status;
  }
  const worker = workerIndex();
  if (worker !== undefined) return finish(await serveAsWorker(options, worker));
  if (isDaemonChild()) return finish(await serve(options, argv, childIo()));
  if (!options.debug && !options.noFork) return daemonize(argv);
  return finish(
    await serve(options, argv, {
      warn: (message) => process.stderr.write(`${message}\n`),
      debug: (line) => process.stderr.write(`${line}\n`),
      ready: () => {},
    }),
  );
}

/** A stopped daemon exits at once: nothing it left behind (timers, lock heartbeats) may keep it alive. */
function finish(status: number): never {
  process.exit(status);
}
