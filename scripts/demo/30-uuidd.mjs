// The UUID daemon: start it detached on a socket in the demo directory, ask it for UUIDs, see a second start
// refused, and stop it with -k (which also removes its pid file and socket).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export default async function uuidd({ dir, tool, log }) {
  const socket = join(dir, 'uuidd.sock');
  const pid = join(dir, 'uuidd.pid');
  const clock = join(dir, 'uuidd.clock');
  await tool('uuidd', ['-s', socket, '-p', pid, '--clock-file', clock, '-T', '60']);
  try {
    log(`pid file: ${JSON.stringify(readFileSync(pid, 'utf8'))}`);
    await tool('uuidd', ['-t', '-s', socket]);
    await tool('uuidd', ['-t', '-n', '10', '-s', socket]);
    await tool('uuidd', ['-r', '-n', '3', '-s', socket]);
    await tool('uuidd', ['-F', '-s', socket, '-P'], { expectStatus: 1 });
  } finally {
    await tool('uuidd', ['-k', '-s', socket]);
  }
  for (let i = 0; i < 100 && (existsSync(socket) || existsSync(pid)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  log(
    `after -k: socket ${existsSync(socket) ? 'still there' : 'removed'}, pid file ${existsSync(pid) ? 'still there' : 'removed'}`,
  );
}
