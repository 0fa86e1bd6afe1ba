import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UuiddClient } from '@suite/uuid/uuidd/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/uuidd.js', import.meta.url));
const V1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let root: string;
const children = new Set<ChildProcess>();
const daemonPids = new Set<number>();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'uuidd-cli-'));
});

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const pid of daemonPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  daemonPids.clear();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh directory with the paths a daemon uses. */
function paths() {
  const dir = mkdtempSync(join(root, 't'));
  return { dir, socket: join(dir, 'request'), pid: join(dir, 'uuidd.pid'), clock: join(dir, 'clock.txt') };
}

interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `uuidd args` to completion. */
function uuidd(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  command = process.execPath,
  cwd?: string,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, command === process.execPath ? [bin, ...args] : args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      children.delete(child);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Whether something answers on the socket. */
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket);
    s.on('connect', () => s.end(Uint8Array.of(0)));
    s.on('data', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(false));
  });
}

async function waitFor(what: string, test: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts `uuidd -F ...` in the foreground as a child; resolves once its socket answers. */
async function foreground(args: string[], socket: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [bin, '-F', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal })),
  );
  await waitFor('the daemon socket', () => answers(socket));
  return { child, exited, stderr: () => stderr };
}

describe('uuidd options and messages', () => {
  it('prints usage with -h and exits 0', async () => {
    const r = await uuidd(['-h']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(' -C, --cont-clock[=<number>[hd]]\n');
    expect(r.stdout).toMatch(/^\nUsage:\n uuidd \[options\]\n/);
  });

  it('rejects an unknown option the way getopt does', async () => {
    const r = await uuidd(['-x']);
    expect(r).toMatchObject({
      status: 1,
      stderr: "uuidd: invalid option -- 'x'\nTry 'uuidd --help' for more information.\n",
    });
    const long = await uuidd(['--no-']);
    expect(long.stderr).toMatch(/^uuidd: option '--no-' is ambiguous; possibilities: '--no-pid' '--no-fork'/);
  });

  it("refuses mutually exclusive options with util-linux's message", async () => {
    expect(await uuidd(['-P', '-p', 'x'])).toMatchObject({
      status: 1,
      stderr: 'uuidd: options --no-pid and --pid cannot be combined\n',
    });
    expect((await uuidd(['-d', '-q'])).stderr).toBe(
      'uuidd: options --debug and --quiet cannot be combined\n',
    );
    expect((await uuidd(['--time', '-r'])).stderr).toBe(
      'uuidd: options --time and --random cannot be combined\n',
    );
  });

  it('reports numbers it cannot parse', async () => {
    expect(await uuidd(['-t', '-n', 'abc'])).toMatchObject({
      status: 1,
      stderr: "uuidd: failed to parse --uuids: 'abc'\n",
    });
    expect((await uuidd(['-t', '-n', '70000'])).stderr).toBe(
      "uuidd: failed to parse --uuids: '70000': Numerical result out of range\n",
    );
    expect((await uuidd(['-T', 'x'])).stderr).toBe("uuidd: failed to parse --timeout: 'x'\n");
    expect((await uuidd(['-C30'])).stderr).toBe(
      "uuidd: failed to parse --cont-clock/-C: '30': Numerical result out of range\n",
    );
    // 2.42 strips the h or d suffix before it quotes the number
    expect((await uuidd(['--cont-clock=400d'])).stderr).toBe(
      "uuidd: failed to parse --cont-clock/-C: '400': Numerical result out of range\n",
    );
    expect((await uuidd(['-Cxh'])).stderr).toBe("uuidd: failed to parse --cont-clock/-C: 'x'\n");
  });

  it('refuses a socket path longer than a sockaddr_un holds', async () => {
    const long = `/tmp/${'x'.repeat(110)}`;
    expect(await uuidd(['-t', '-s', long])).toMatchObject({
      status: 1,
      stderr: `uuidd: socket name too long: ${long}\n`,
    });
  });

  it('fails to call a daemon that is not there, and -k then does nothing', async () => {
    const { socket } = paths();
    expect(await uuidd(['-t', '-s', socket])).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'uuidd: error calling uuidd daemon (connect): No such file or directory\n',
    });
    expect(await uuidd(['-k', '-s', socket])).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });
});

describe('the uuidd daemon', () => {
  it('daemonizes, writes its pid as "%8d\\n", refuses a second start, and -k stops it and cleans up', async () => {
    const { socket, pid, clock } = paths();
    const started = await uuidd(['-s', socket, '-p', pid, '--clock-file', clock, '-T', '60']);
    expect(started).toMatchObject({ status: 0, stdout: '', stderr: '' });
    const text = readFileSync(pid, 'utf8');
    expect(text).toMatch(/^ {0,7}\d{1,8}\n$/);
    expect(text.length).toBe(9);
    const daemon = Number(text);
    daemonPids.add(daemon);
    expect(() => process.kill(daemon, 0)).not.toThrow();
    expect(statSync(socket).mode & 0o777).toBe(0o777);

    const again = await uuidd(['-s', socket, '-p', pid]);
    expect(again).toMatchObject({
      status: 1,
      stderr: `uuidd: uuidd daemon is already running at pid ${daemon}\n`,
    });
    const otherSocket = await uuidd(['-s', `${socket}2`, '-p', pid, '-F']);
    expect(otherSocket).toMatchObject({
      status: 1,
      stderr: `uuidd: uuidd daemon is already running at pid ${daemon}\n`,
    });
    expect(existsSync(`${socket}2`)).toBe(false); // refused before it made a socket
    expect(readFileSync(pid, 'utf8')).toBe(text); // and the pid file is untouched
    const againNoPid = await uuidd(['-s', socket, '-P', '-F']);
    expect(againNoPid.stderr).toBe(`uuidd: uuidd daemon is already running at pid ${daemon}\n`);

    expect((await uuidd(['-t', '-s', socket])).stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(await uuidd(['-k', '-s', socket])).toMatchObject({
      status: 0,
      stdout: `Killed uuidd running at pid ${daemon}.\n`,
    });
    await waitFor('the daemon to exit', () => {
      try {
        process.kill(daemon, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(pid)).toBe(false);
    expect(existsSync(`${pid}.lock`)).toBe(false);
    expect(readFileSync(clock, 'utf8')).toMatch(/^clock: [0-9a-f]{4} tv: /);
  });

  it('removes relative socket and pid paths when it stops, though it left the directory when detaching', async () => {
    const { dir } = paths();
    const started = await uuidd(
      ['-s', 'request', '-p', 'uuidd.pid', '--clock-file', 'clock.txt', '-T', '120'],
      {},
      process.execPath,
      dir,
    );
    expect(started.status).toBe(0);
    const daemon = Number(readFileSync(join(dir, 'uuidd.pid'), 'utf8'));
    daemonPids.add(daemon);
    expect(existsSync(join(dir, 'request'))).toBe(true);
    expect((await uuidd(['-k', '-s', join(dir, 'request')])).stdout).toBe(
      `Killed uuidd running at pid ${daemon}.\n`,
    );
    await waitFor(
      'the socket and pid file to go',
      () => !existsSync(join(dir, 'request')) && !existsSync(join(dir, 'uuidd.pid')),
    );
  });

  it('answers its own client mode: -t, -r, -t -n, -r -n', async () => {
    const { socket, clock } = paths();
    await foreground(['-P', '-s', socket, '--clock-file', clock], socket);
    const t = await uuidd(['-t', '-s', socket]);
    expect(t.stdout.trim()).toMatch(V1);
    expect((await uuidd(['-r', '-s', socket])).stdout.trim()).toMatch(V4);
    const bulk = await uuidd(['-t', '-n', '5', '-s', socket]);
    expect(bulk.stdout).toMatch(/^[0-9a-f-]{36} and 4 subsequent UUIDs\n$/);
    expect((await uuidd(['-t', '-n', '2', '-s', socket])).stdout).toMatch(/ and 1 subsequent UUID\n$/);
    const list = await uuidd(['-r', '-n', '3', '-s', socket]);
    const lines = list.stdout.split('\n');
    expect(lines[0]).toBe('List of UUIDs:');
    expect(lines.slice(1, 4).every((line) => V4.test(line.slice(1)) && line.startsWith('\t'))).toBe(true);
    expect(lines.length).toBe(5);
    const many = await uuidd(['-r', '-n', '100', '-s', socket]);
    expect(many.stdout.split('\n').length).toBe(1 + 63 + 1); // libuuid's client asks for at most 63
  });

  it('prints what it does with -d, counts malformed requests, and times out with -T', async () => {
    const { socket, pid, clock } = paths();
    const daemon = await foreground(
      ['-d', '-s', socket, '-p', pid, '--clock-file', clock, '-T', '2'],
      socket,
    );
    await uuidd(['-t', '-s', socket]);
    await uuidd(['-r', '-n', '2', '-s', socket]);
    await new Promise<void>((resolve) => {
      const s = connect(socket, () => s.end(Uint8Array.of(9)));
      s.on('close', () => resolve());
    });
    await new Promise<void>((resolve) => {
      const s = connect(socket, () => s.end());
      s.on('close', () => resolve());
    });
    const { status, signal } = await daemon.exited;
    expect({ status, signal }).toEqual({ status: 0, signal: null });
    const log = daemon.stderr();
    expect(log).toMatch(/^operation 2\nGenerated time UUID: [0-9a-f-]{36}\n/m);
    expect(log).toMatch(
      /^operation 5, incoming num = 2\nGenerated 2 UUIDs:\n\t[0-9a-f-]{36}\n\t[0-9a-f-]{36}\n/m,
    );
    expect(log).toContain('operation 9\nInvalid operation 9\n');
    expect(log).toContain('(invalid operation 9); 1 so far\n');
    expect(log).toContain('uuidd: error reading from client, len = 0\n');
    expect(log).toContain('(empty request); 2 so far\n');
    expect(log).toMatch(/timeout \[2 sec\]\n$/);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(pid)).toBe(false);
  });

  it('serves in one process by default, with no serving child processes and at most 60 MB resident', async () => {
    const { socket, clock } = paths();
    const daemon = await foreground(['-P', '-s', socket, '--clock-file', clock], socket);
    for (let i = 0; i < 20; i++) expect((await uuidd(['-t', '-s', socket])).stdout.trim()).toMatch(V1);
    const pid = daemon.child.pid!;
    const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim();
    expect(kids).toBe('');
    const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThanOrEqual(60 * 1024);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ status: 0, signal: null });
  });

  it('counts requests served by any of its processes as activity for -T', async () => {
    const { socket, clock } = paths();
    const daemon = await foreground(
      ['-P', '-s', socket, '--clock-file', clock, '--workers', '3', '-T', '2'],
      socket,
    );
    let exited = false;
    void daemon.exited.then(() => {
      exited = true;
    });
    const busyUntil = Date.now() + 3500;
    while (Date.now() < busyUntil) {
      expect((await uuidd(['-r', '-s', socket])).stdout.trim()).toMatch(V4);
      expect(exited).toBe(false);
    }
    expect(await daemon.exited).toEqual({ status: 0, signal: null });
    expect(existsSync(socket)).toBe(false);
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGALRM'] as const) {
    it(`removes its pid file and socket and exits 0 on ${signal}`, async () => {
      const { socket, pid, clock } = paths();
      const daemon = await foreground(['-s', socket, '-p', pid, '--clock-file', clock], socket);
      expect(existsSync(pid)).toBe(true);
      daemon.child.kill(signal);
      expect(await daemon.exited).toEqual({ status: 0, signal: null });
      expect(existsSync(socket)).toBe(false);
      expect(existsSync(pid)).toBe(false);
    });
  }

  it('lets exactly one of three daemons started at the same instant on one socket run, whatever -p/-P say', async () => {
    // Each process waits at a barrier (a file) before running uuidd, so that all three start it at the same instant.
    const barrierCode = `import { existsSync } from 'node:fs';
      while (!existsSync(process.env.UUIDD_TEST_BARRIER)) await new Promise((r) => setTimeout(r, 1));`;
    const preload = `data:text/javascript,${encodeURIComponent(barrierCode)}`;
    for (const [round, pidArgs] of [
      [['-P'], ['-P'], ['-P']],
      [
        ['-p', 'a.pid'],
        ['-p', 'b.pid'],
        ['-p', 'c.pid'],
      ],
      [['-P'], ['-p', 'b.pid'], ['-P']],
    ].entries()) {
      const { dir, socket } = paths();
      const barrier = join(dir, 'go');
      const start = (extra: string[]) => {
        const child = spawn(
          process.execPath,
          ['--import', preload, bin, '-F', '-s', socket, '-T', '60', ...extra],
          {
            cwd: dir,
            env: { ...process.env, UUIDD_TEST_BARRIER: barrier },
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        children.add(child);
        let stderr = '';
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        let status: number | null | undefined;
        const exited = new Promise<number | null>((resolve) =>
          child.on('exit', (code) => {
            status = code;
            resolve(code);
          }),
        );
        return { child, exited, stderr: () => stderr, status: () => status };
      };
      const daemons = pidArgs.map((args) => start(args));
      await new Promise((r) => setTimeout(r, 1500)); // all three loaded and waiting
      writeFileSync(barrier, '');
      await waitFor(
        'two of them to give up',
        () => daemons.filter((d) => d.status() !== undefined).length >= 2,
      );
      await new Promise((r) => setTimeout(r, 500)); // a third exit would come now
      const running = daemons.filter((d) => d.status() === undefined);
      expect(running, `round ${round}: ${daemons.map((d) => d.stderr()).join('')}`).toHaveLength(1);
      for (const loser of daemons.filter((d) => d.status() !== undefined)) {
        expect(loser.status()).toBe(1);
        expect(loser.stderr()).toMatch(/^uuidd: uuidd daemon is already running at pid \d+\n$/);
      }
      // The losers are gone, and the winner's socket is still there and answers with the winner's pid.
      const winner = running[0] as (typeof daemons)[number];
      expect(await new UuiddClient({ socketPath: socket }).pid()).toBe(winner.child.pid);
      expect(existsSync(`${socket}.lock`)).toBe(false); // the start-up lock is not held while serving
      winner.child.kill('SIGTERM');
      expect(await winner.exited).toBe(0);
      expect(existsSync(socket)).toBe(false);
    }
  });

  it('removes its pid file before its socket when it stops, as util-linux does', async () => {
    for (let round = 0; round < 3; round++) {
      const { socket, pid } = paths();
      const daemon = await foreground(['-s', socket, '-p', pid, '-T', '60'], socket);
      expect(existsSync(pid)).toBe(true);
      daemon.child.kill('SIGTERM');
      // Whenever the socket is seen gone, the pid file must be gone already.
      for (;;) {
        if (!existsSync(socket)) {
          expect(existsSync(pid)).toBe(false);
          break;
        }
        await new Promise((r) => setImmediate(r));
      }
      expect((await daemon.exited).status).toBe(0);
    }
  });

  it('replaces a stale socket left by a daemon that died', async () => {
    const { socket, clock } = paths();
    writeFileSync(socket, '');
    const daemon = await foreground(['-P', '-s', socket, '--clock-file', clock], socket);
    expect((await uuidd(['-r', '-s', socket])).stdout.trim()).toMatch(V4);
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    expect(existsSync(socket)).toBe(true); // SIGKILL leaves it behind...
    const next = await foreground(['-P', '-s', socket, '--clock-file', clock], socket); // ...and a restart copes
    expect((await uuidd(['-t', '-s', socket])).stdout.trim()).toMatch(V1);
    next.child.kill('SIGTERM');
    await next.exited;
  });

  it('hands out clock sequence 0 in continuous clock mode (-C)', async () => {
    const { socket, clock } = paths();
    await foreground(['-P', '-C', '-s', socket, '--clock-file', clock], socket);
    const uuid = (await uuidd(['-t', '-s', socket])).stdout.trim();
    expect(uuid).toMatch(V1);
    expect(uuid.slice(19, 23)).toBe('8000');
  });

  it('serves a socket passed by systemd with -S, and says so when none is passed', async () => {
    const { socket, clock } = paths();
    const none = await uuidd(['-S', '--clock-file', clock]);
    expect(none).toMatchObject({
      status: 1,
      stderr: 'uuidd: no file descriptors received, check systemctl status uuidd.socket\n',
    });
    const two = await uuidd(['-S'], { LISTEN_PID: '1', LISTEN_FDS: '2' });
    expect(two.status).toBe(1); // LISTEN_PID is not ours: as if nothing was passed
    // What systemd does: a listening socket as fd 3, LISTEN_FDS=1 and LISTEN_PID naming the daemon (the shell
    // execs node, so its $$ is the daemon's pid).
    // Bound under another name and renamed: closing our copy then removes (the old name) nothing.
    const listening = createServer();
    await new Promise<void>((resolve) => listening.listen(`${socket}.tmp`, resolve));
    renameSync(`${socket}.tmp`, socket);
    const fd = (listening as unknown as { _handle: { fd: number } })._handle.fd;
    const activator = spawn(
      '/bin/sh',
      ['-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"', process.execPath, bin, '-S', '--clock-file', clock],
      { stdio: ['ignore', 'ignore', 'pipe', fd] },
    );
    children.add(activator);
    listening.close(); // the daemon has its own copy of the socket now
    await waitFor('the daemon to answer', () => answers(socket));
    const t = await uuidd(['-t', '-s', socket]);
    expect(t.stdout.trim()).toMatch(V1);
    expect((await uuidd(['-r', '-n', '2', '-s', socket])).stdout).toMatch(/^List of UUIDs:\n\t.+\n\t.+\n$/);
    const stopped = new Promise((resolve) => activator.on('exit', (status) => resolve(status)));
    activator.kill('SIGTERM');
    expect(await stopped).toBe(0);
  });
});
