import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { acquire, LockError, type LockHandle } from '@suite/lockfile/node';
import { parseArgs, USAGE } from '../lock/options.js';
import { runLocked } from '../lock/run-locked.js';

/** flock(1) uses sysexits: EX_USAGE for a bad command line, EX_NOINPUT when the lock cannot be created. */
const EX_USAGE = 64;
const EX_NOINPUT = 66;

function say(line: string): void {
  process.stderr.write(`lock: ${line}\n`);
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** `lock [options] LOCKPATH [--] COMMAND [ARGS...]`: runs COMMAND while holding the lock, like flock(1). */
export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`lock from @suite/cli ${version()}\n`);
      return 0;
    case 'usage':
      say(parsed.message);
      process.stderr.write("Try 'lock --help' for more information.\n");
      return EX_USAGE;
  }
  const started = performance.now();
  let lock: LockHandle;
  try {
    lock = await acquire(parsed.path, {
      timeout: parsed.timeout * 1000,
      onCompromised: (error) => say(`warning: ${error.message}`),
      ...(parsed.stale === undefined ? {} : { stale: parsed.stale * 1000 }),
    });
  } catch (error) {
    if (!(error instanceof LockError)) throw error;
    if (error.code === 'ELOCKED' || error.code === 'ETIMEOUT') {
      const owner = error.owner;
      const holder = owner === undefined ? 'an unknown holder' : `pid ${owner.pid}`;
      const where = owner === undefined || owner.hostname === hostname() ? '' : ` on host ${owner.hostname}`;
      const waited = error.code === 'ETIMEOUT' ? ` (gave up after ${parsed.timeout} s)` : '';
      say(`${parsed.path} is locked by ${holder}${where}${waited}`);
      return parsed.conflictExitCode;
    }
    say(error.message);
    return EX_NOINPUT;
  }
  if (parsed.verbose) {
    say(`getting lock took ${((performance.now() - started) / 1000).toFixed(6)} seconds`);
    say(`executing ${parsed.argv[0]}`);
  }
  return runLocked(lock, parsed.argv, say);
}
