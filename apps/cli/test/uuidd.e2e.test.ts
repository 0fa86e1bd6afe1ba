// Interop with the real util-linux uuidd (Debian `uuid-runtime`), the regression tests util-linux lacks for its
// daemon, and uniqueness while the daemon is killed and restarted.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UuiddClient } from '@suite/uuid/uuidd/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPeers, peerPath } from './_peers.js';

const bin = fileURLToPath(new URL('../bin/uuidd.js', import.meta.url));
const THEIR_UUIDD = peerPath('uuidd');
const THEIR_UUIDPARSE = peerPath('uuidparse');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

let root: string;
const children = new Set<ChildProcess>();
/** Daemons that detached from us (their pids): killed after each test, pass or fail. */
const detached = new Set<number>();
const sockets = new Set<Socket>();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'uuidd-e2e-'));
});

afterEach(() => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const pid of detached) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  detached.clear();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function paths() {
  const dir = mkdtempSync(join(root, 't'));
  return { socket: join(dir, 'request'), pid: join(dir, 'uuidd.pid'), clock: join(dir, 'clock.txt') };
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
    child.on('error', reject);
    child.on('close', (status) => {
      children.delete(child);
      resolve({ status, stdout, stderr });
    });
  });
}

const ours = (args: string[]) => run(process.execPath, [bin, ...args]);
const theirs = (args: string[]) => run(THEIR_UUIDD, args);

/** The TYPE column util-linux's uuidparse gives each UUID in `text`. */
async function types(text: string): Promise<string[]> {
  const uuids = text.match(UUID) ?? [];
  const r = await run(THEIR_UUIDPARSE, ['-n', '-o', 'TYPE', ...uuids]);
  return r.stdout.trim().split('\n');
}

function answers(socket: string): Promise<boolean> {
  return new UuiddClient({ socketPath: socket, timeout: 1000 }).pid().then(
    () => true,
    () => false,
  );
}

async function waitFor(what: string, test: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A daemon in the foreground as our child; resolves once it answers. */
async function daemon(command: string, args: string[], socket: string) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  // A daemon that cannot start (ENOENT, EACCES) fails the test that wanted it instead of crashing the run.
  const unstartable = new Promise<never>((_, reject) => child.on('error', reject));
  await Promise.race([waitFor(`${command} to answer`, () => answers(socket)), unstartable]);
  return { child, exited };
}

const ourDaemon = (socket: string, clock: string, extra: string[] = []) =>
  daemon(
    process.execPath,
    [bin, '-F', '-P', '-s', socket, '--clock-file', clock, '-T', '120', ...extra],
    socket,
  );
const theirDaemon = (socket: string) => daemon(THEIR_UUIDD, ['-F', '-P', '-s', socket, '-T', '30'], socket);

describeWithPeers(['uuidd', 'uuidparse'], 'util-linux uuidd as the client of our daemon', () => {
  it('gets time and random UUIDs, single and bulk, of the right versions', async () => {
    const { socket, clock } = paths();
    await ourDaemon(socket, clock);
    const t = await theirs(['-t', '-s', socket]);
    expect(t).toMatchObject({ status: 0, stderr: '' });
    expect(t.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(await types(t.stdout)).toEqual(['time-based']);
    const r = await theirs(['-r', '-s', socket]);
    expect(await types(r.stdout)).toEqual(['random']);
    const tn = await theirs(['-t', '-n', '5', '-s', socket]);
    expect(tn.stdout).toMatch(/^[0-9a-f-]{36} and 4 subsequent UUIDs\n$/);
    expect(await types(tn.stdout)).toEqual(['time-based']);
    const rn = await theirs(['-r', '-n', '5', '-s', socket]);
    expect(rn.stdout).toMatch(/^List of UUIDs:\n(\t[0-9a-f-]{36}\n){5}$/);
    expect(await types(rn.stdout)).toEqual(Array(5).fill('random'));
    const big = await theirs(['-r', '-n', '63', '-s', socket]);
    expect(big.stdout.split('\n')).toHaveLength(65);
  });
});

describeWithPeers(['uuidd', 'uuidparse'], 'our uuidd as the client of util-linux uuidd', () => {
  it('prints output identical in form to theirs for -t, -r, -t -n and -r -n', async () => {
    const { socket } = paths();
    await theirDaemon(socket);
    for (const args of [
      ['-t'],
      ['-r'],
      ['-t', '-n', '5'],
      ['-t', '-n', '2'],
      ['-r', '-n', '5'],
      ['-r', '-n', '70'],
    ]) {
      const mine = await ours([...args, '-s', socket]);
      const real = await theirs([...args, '-s', socket]);
      expect(mine.status).toBe(real.status);
      expect(mine.stdout.replace(UUID, 'U')).toBe(real.stdout.replace(UUID, 'U'));
      expect(mine.stderr).toBe(real.stderr);
      expect(await types(mine.stdout)).toEqual(await types(real.stdout));
    }
  });

  it('gives the same messages as theirs when the socket or the pid file cannot be made', async () => {
    const { socket } = paths();
    const missing = join(socket, 'no', 'such', 'dir');
    for (const args of [
      ['-F', '-P', '-s', join(missing, 'request')],
      ['-F', '-s', socket, '-p', join(missing, 'uuidd.pid')],
    ]) {
      const mine = await ours(args);
      const real = await theirs(args);
      expect(mine).toEqual(real);
      expect(mine.status).toBe(1);
    }
  });

  it('gives the same error as theirs when no daemon listens', async () => {
    const { socket } = paths();
    const mine = await ours(['-t', '-s', socket]);
    const real = await theirs(['-t', '-s', socket]);
    expect(mine).toEqual(real);
  });
});

describeWithPeers(['uuidd'], '-k in both directions', () => {
  it('our -k stops their daemon, which removes its socket', async () => {
    const { socket } = paths();
    const { child, exited } = await theirDaemon(socket);
    const k = await ours(['-k', '-s', socket]);
    expect(k).toEqual({ status: 0, stdout: `Killed uuidd running at pid ${child.pid}.\n`, stderr: '' });
    expect(await exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  it('their -k stops our daemonized daemon, which removes its pid file and socket', async () => {
    const { socket, pid, clock } = paths();
    expect((await ours(['-s', socket, '-p', pid, '--clock-file', clock, '-T', '120'])).status).toBe(0);
    const daemonPid = Number((await import('node:fs')).readFileSync(pid, 'utf8'));
    detached.add(daemonPid);
    const k = await theirs(['-k', '-s', socket]);
    expect(k).toEqual({ status: 0, stdout: `Killed uuidd running at pid ${daemonPid}.\n`, stderr: '' });
    await waitFor('our daemon to exit', () => !alive(daemonPid));
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(pid)).toBe(false);
  });

  it('both refuse to start beside a running daemon of the other kind', async () => {
    const { socket, clock } = paths();
    const { child } = await theirDaemon(socket);
    const mine = await ours(['-F', '-P', '-s', socket, '--clock-file', clock]);
    expect(mine).toMatchObject({
      status: 1,
      stderr: `uuidd: uuidd daemon is already running at pid ${child.pid}\n`,
    });
    child.kill('SIGTERM');
    await waitFor('their socket to go', () => !existsSync(socket));
    const { child: ourChild } = await ourDaemon(socket, clock);
    const real = await theirs(['-F', '-P', '-s', socket]);
    expect(real.status).toBe(1);
    expect(real.stderr).toContain(`uuidd daemon is already running at pid ${ourChild.pid}`);
  });
});

// A real libuuid client: uuid_generate_time_safe() asks uuidd for a bulk range (10 at a time in 2.38) and hands
// out the range itself. libuuid only knows /run/uuidd/request, so a connect() shim points it at the test socket.
const SHIM_C = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  static int (*real)(int, const struct sockaddr *, socklen_t);
  if (!real) real = dlsym(RTLD_NEXT, "connect");
  const char *to = getenv("UUIDD_TEST_SOCKET");
  if (to && addr && addr->sa_family == AF_UNIX
      && strcmp(((const struct sockaddr_un *)addr)->sun_path, "/run/uuidd/request") == 0) {
    struct sockaddr_un moved = {.sun_family = AF_UNIX};
    strncpy(moved.sun_path, to, sizeof(moved.sun_path) - 1);
    return real(fd, (const struct sockaddr *)&moved, sizeof(moved));
  }
  return real(fd, addr, len);
}
`;
const LIBUUID_CLIENT_C = `#include <stdio.h>
#include <stdlib.h>
#include <uuid/uuid.h>
int main(int argc, char **argv) {
  uuid_t u;
  char s[37];
  for (int i = 0, n = atoi(argv[1]); i < n; i++) {
    int safe = uuid_generate_time_safe(u);
    uuid_unparse(u, s);
    printf("%s %d\\n", s, safe);
  }
  return 0;
}
`;
const canBuildLibuuidClient = existsSync('/usr/include/uuid/uuid.h') && existsSync('/usr/bin/gcc');

describe('libuuid as the client of our daemon', () => {
  it.skipIf(!canBuildLibuuidClient)('gets its bulk ranges from us: 4 processes, no duplicate', async () => {
    const { socket, clock } = paths();
    const dir = join(socket, '..');
    writeFileSync(join(dir, 'shim.c'), SHIM_C);
    writeFileSync(join(dir, 'client.c'), LIBUUID_CLIENT_C);
    expect(
      (
        await run('/usr/bin/gcc', [
          '-shared',
          '-fPIC',
          '-o',
          join(dir, 'shim.so'),
          join(dir, 'shim.c'),
          '-ldl',
        ])
      ).status,
    ).toBe(0);
    expect(
      (await run('/usr/bin/gcc', ['-o', join(dir, 'client'), join(dir, 'client.c'), '-luuid'])).status,
    ).toBe(0);
    const log: string[] = [];
    const child = spawn(process.execPath, [bin, '-F', '-d', '-P', '-s', socket, '--clock-file', clock], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.add(child);
    child.stderr!.on('data', (d) => log.push(String(d)));
    await waitFor('our daemon', () => answers(socket));
    const env = { ...process.env, LD_PRELOAD: join(dir, 'shim.so'), UUIDD_TEST_SOCKET: socket };
    const outputs = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<string>((resolve, reject) => {
            const c = spawn(join(dir, 'client'), ['300'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
            children.add(c);
            let out = '';
            c.stdout!.on('data', (d) => {
              out += d;
            });
            c.on('error', reject);
            c.on('close', () => resolve(out));
          }),
      ),
    );
    const lines = outputs.flatMap((out) => out.trim().split('\n'));
    expect(lines).toHaveLength(1200);
    expect(lines.every((line) => line.endsWith(' 0'))).toBe(true); // "safe": the daemon answered
    const uuids = lines.map((line) => line.slice(0, 36));
    expect(new Set(uuids).size).toBe(1200);
    const daemonLog = log.join('');
    expect(daemonLog).toMatch(/^operation 4, incoming num = \d+$/m);
    const served = [...daemonLog.matchAll(/^Generated time UUID \S+ and (\d+) following$/gm)];
    expect(served.reduce((sum, m) => sum + Number(m[1]) + 1, 0)).toBeGreaterThanOrEqual(1200);
  });
});

const ACTIVATE = '/usr/bin/systemd-socket-activate';

describeWithPeers(['uuidd', 'uuidparse'], 'socket activation', () => {
  it.skipIf(!existsSync(ACTIVATE))(
    'serves the socket systemd-socket-activate passes, for their client',
    async () => {
      const { socket, clock } = paths();
      const activator = spawn(ACTIVATE, ['-l', socket, process.execPath, bin, '-S', '--clock-file', clock], {
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      children.add(activator);
      await waitFor('the activation socket', () => existsSync(socket));
      const t = await theirs(['-t', '-s', socket]);
      expect(await types(t.stdout)).toEqual(['time-based']);
      const stopped = new Promise((resolve) => activator.on('exit', (status) => resolve(status)));
      expect((await theirs(['-k', '-s', socket])).stdout).toBe(
        `Killed uuidd running at pid ${activator.pid}.\n`,
      );
      expect(await stopped).toBe(0);
    },
  );
});

/** Connects and sends `bytes` (nothing, if undefined), keeping the connection open. */
function hold(socket: string, bytes?: Uint8Array): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(socket, () => {
      if (bytes) s.write(bytes);
      resolve(s);
    });
    sockets.add(s);
    s.on('error', reject);
  });
}

describeWithPeers(['uuidd'], 'what util-linux does not test: a daemon that keeps serving', () => {
  it('their daemon stalls every client while one silent client is connected (the bug we fix)', async () => {
    const { socket } = paths();
    await theirDaemon(socket);
    await hold(socket);
    const error = await new UuiddClient({ socketPath: socket, timeout: 1500 })
      .time()
      .catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('ours serves 1000 parallel clients while silent, malformed and truncated ones come and go', async () => {
    const { socket, clock } = paths();
    const { child } = await ourDaemon(socket, clock);
    const silent = await Promise.all(Array.from({ length: 5 }, () => hold(socket)));
    const truncated = await Promise.all([hold(socket, Uint8Array.of(4, 1)), hold(socket, Uint8Array.of(5))]);
    const client = new UuiddClient({ socketPath: socket, timeout: 30_000 });
    const bad = [Uint8Array.of(7), Uint8Array.of(200, 1, 2, 3), new Uint8Array(0), Uint8Array.of(4, 0, 0)];
    const calls = Array.from({ length: 1000 }, (_, i) => {
      if (i % 50 === 25) {
        // malformed or truncated, then closed: answered by a close without a reply
        return client.exchange(bad[((i / 50) % 4) | 0]!, 1024).then((reply) => {
          expect(reply.payload.length).toBe(0);
          return [] as string[];
        });
      }
      if (i % 4 === 0) return client.bulkTime(10);
      if (i % 4 === 1) return client.bulkRandom(5);
      return (i % 4 === 2 ? client.time() : client.random()).then((uuid) => [uuid]);
    });
    const results = await Promise.all(calls);
    const uuids = results.flat();
    expect(uuids.length).toBe(250 * 10 + 240 * 5 + 490);
    expect(new Set(uuids).size).toBe(uuids.length);
    // The silent and truncated clients are dropped by the read timeout, not served forever.
    await waitFor(
      'the silent clients to be dropped',
      () => [...silent, ...truncated].every((s) => s.destroyed),
      30_000,
    );
    const after = await theirs(['-t', '-s', socket]);
    expect(after.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(alive(child.pid!)).toBe(true);
  });
});

/** A client process asking for time UUIDs (single, or bulk of `bulk`) in a loop; prints every UUID it gets. */
function clientProcess(socket: string, bulk: number): { child: ChildProcess; output: () => string } {
  const uuidNode = fileURLToPath(import.meta.resolve('@suite/uuid/uuidd/node'));
  const code = `
    const { UuiddClient } = await import(${JSON.stringify(uuidNode)});
    const client = new UuiddClient({ socketPath: ${JSON.stringify(socket)}, timeout: 5000 });
    let stop = false;
    process.stdin.on('end', () => { stop = true; });
    process.stdin.resume();
    while (!stop) {
      try {
        const got = ${bulk} > 1 ? await client.bulkTime(${bulk}) : [await client.time()];
        process.stdout.write(got.join('\\n') + '\\n');
      } catch { await new Promise((r) => setTimeout(r, 5)); }
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  return { child, output: () => output };
}

describe('uniqueness under faults', () => {
  it('hands out no duplicate while the daemon is killed with SIGKILL and restarted three times', async () => {
    const { socket, clock } = paths();
    let current = await ourDaemon(socket, clock);
    const clients = [
      clientProcess(socket, 1),
      clientProcess(socket, 1),
      clientProcess(socket, 10),
      clientProcess(socket, 10),
    ];
    for (let restart = 0; restart < 3; restart++) {
      await new Promise((r) => setTimeout(r, 700));
      current.child.kill('SIGKILL');
      await current.exited;
      current = await ourDaemon(socket, clock);
    }
    await new Promise((r) => setTimeout(r, 700));
    const done = clients.map(({ child }) => new Promise((resolve) => child.on('close', resolve)));
    for (const { child } of clients) child.stdin!.end();
    await Promise.all(done);
    current.child.kill('SIGTERM');
    await current.exited;
    const all = clients.flatMap(({ output }) => output().trim().split('\n'));
    expect(all.length).toBeGreaterThan(1000);
    expect(new Set(all).size).toBe(all.length);
    const clockSeqs = new Set(all.map((uuid) => uuid.slice(19, 23)));
    expect(clockSeqs.size).toBeGreaterThan(1); // restarts inside the saved lease moved the clock sequence on
  });
});
