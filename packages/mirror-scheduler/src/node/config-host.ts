import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ConfigHost } from '../plan.js';

/** Sends `signal` to the command's process group (it may have started others), or to it alone. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Resolves `home=` against the current home (it must be a directory) and runs `cmdin=` commands with `/bin/sh` in a
 * process group of their own, reading their standard output (their standard error is mm's). As in mm.pl, the
 * output is read whatever the exit status; a status other than 0 is a warning. When the `signal` aborts, the
 * command's group gets SIGTERM, then SIGKILL after the grace period, so that a command that hangs or ignores
 * SIGTERM does not outlive mm.
 * @example
 * const plan = await loadConfig(sources, nodeConfigHost, { home: process.cwd() });
 */
export const nodeConfigHost: ConfigHost = {
  async resolveHome(current, dir) {
    const home = resolve(current, dir);
    const info = await stat(home).catch((error: NodeJS.ErrnoException) => {
      throw new Error(error.code === 'ENOENT' ? `no such directory: ${home}` : error.message);
    });
    if (!info.isDirectory()) throw new Error(`not a directory: ${home}`);
    return home;
  },
  readCommandOutput(command, cwd, options = {}) {
    const { signal, killGraceMs = 10_000, onWarning } = options;
    return new Promise((done, fail) => {
      if (signal?.aborted) return fail(new Error('stopped before it ran'));
      const child = spawn('/bin/sh', ['-c', command], {
        cwd,
        stdio: ['ignore', 'pipe', 'inherit'],
        detached: true,
      });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      let killer: ReturnType<typeof setTimeout> | undefined;
      const stop = () => {
        signalGroup(child.pid, 'SIGTERM');
        killer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), killGraceMs);
      };
      signal?.addEventListener('abort', stop, { once: true });
      child.once('error', (error) => {
        signal?.removeEventListener('abort', stop);
        fail(error);
      });
      child.once('close', (code, killedBy) => {
        signal?.removeEventListener('abort', stop);
        if (killer !== undefined) clearTimeout(killer);
        if (signal?.aborted) return fail(new Error(`stopped (${killedBy ?? `exit ${code}`})`));
        if (killedBy) return fail(new Error(`killed by ${killedBy}`));
        if (code !== 0)
          onWarning?.(`exited with status ${code}; its output is read all the same, as mm.pl does`);
        done(Buffer.concat(chunks).toString('utf8'));
      });
    });
  },
};
