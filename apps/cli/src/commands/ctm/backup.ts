import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * ctm -B: hands the names about to change to the archiver command (default `tar -rf %s -T -`, `%s` being the
 * backup file), one per line on its stdin, run in the tree. Names are written as their bytes; one that starts
 * with `-` goes as `./-NAME`, so tar never takes it for an option. Resolves when it exits 0.
 */
export function backupNames(
  names: readonly string[],
  command: string,
  backupFile: string,
  cwd: string,
): Promise<void> {
  const quoted = `'${resolve(backupFile).replaceAll("'", "'\\''")}'`;
  const line = command.replace('%s', quoted);
  return new Promise((done, fail) => {
    const child = spawn('/bin/sh', ['-c', line], { cwd, stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (code === 0) done();
      else fail(new Error(`backup command "${line}" failed (${signal ?? `exit ${code}`})`));
    });
    child.stdin.on('error', () => {}); // a failing archiver closes its stdin; its exit status tells why
    child.stdin.end(
      Buffer.from(names.map((n) => `${n.startsWith('-') ? './' : ''}${n}\n`).join(''), 'latin1'),
    );
  });
}
