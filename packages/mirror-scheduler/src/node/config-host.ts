import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ConfigHost } from '../plan.js';

/**
 * Resolves `home=` against the current home (it must be a directory) and runs `cmdin=` commands with `/bin/sh`,
 * reading their standard output; a command that fails is an error naming its exit status and stderr.
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
  readCommandOutput(command, cwd) {
    return new Promise((done, fail) => {
      execFile('/bin/sh', ['-c', command], { cwd, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) return done(stdout);
        const why = typeof error.code === 'number' ? `exited with status ${error.code}` : error.message;
        fail(
          new Error(`${why}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`),
        );
      });
    });
  },
};
