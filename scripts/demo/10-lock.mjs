// lock: two commands on one lock run one after the other; one that will not wait is refused with the holder's
// pid; when the lock tool is killed with SIGKILL, its command keeps the lock until it ends.
import { spawn } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOwner } from '../../packages/lockfile/dist/node/index.js';

const bin = fileURLToPath(new URL('../../apps/cli/bin/lock.js', import.meta.url));

async function until(what, test) {
  for (let i = 0; i < 400; i++) {
    if (await test().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} never happened`);
}

/** Whether the lock on `path` lists an adopted pid (the lock tool records its command's), as @suite/lockfile reads it. */
async function adopted(path) {
  return ((await readOwner(path))?.adopted?.length ?? 0) > 0;
}

export default async function lock({ dir, tool, log }) {
  const path = join(dir, 'nightly');
  const journal = join(dir, 'journal');
  const step = (name) => `echo "${name} starts" >> ${journal}; sleep 0.3; echo "${name} ends" >> ${journal}`;
  await Promise.all([tool('lock', [path, '-c', step('first')]), tool('lock', [path, '-c', step('second')])]);
  const lines = (await readFile(journal, 'utf8')).trim().split('\n');
  log(lines.join(' | '));
  if (lines[0]?.replace(' starts', '') !== lines[1]?.replace(' ends', ''))
    throw new Error('the two overlapped');

  // A command that runs until told to stop, under a lock tool that is then killed outright.
  const started = join(dir, 'started');
  const stop = join(dir, 'stop');
  const script = `touch ${started}; while [ ! -e ${stop} ]; do sleep 0.05; done`;
  const holder = spawn(process.execPath, [bin, path, 'sh', '-c', script], { stdio: 'ignore' });
  await until('the command start', () => access(started).then(() => true));
  await until("the command's pid in the lock", () => adopted(path));
  await tool('lock', ['--timeout', '0', path, '--', 'true'], { expectStatus: 1 });
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.on('exit', resolve));
  log(`killed the lock tool (pid ${holder.pid}) with SIGKILL; its command still holds the lock:`);
  await tool('lock', ['--timeout', '0', path, '--', 'true'], { expectStatus: 1 });
  await writeFile(stop, '');
  log('the command ends; the lock is free again:');
  await tool('lock', ['--timeout', '5', path, '--', 'echo', 'got it']);
}
