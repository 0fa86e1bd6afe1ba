import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/commands/lock/options.js';

const bin = fileURLToPath(new URL('../bin/lock.js', import.meta.url));
let dir: string;
const children = new Set<ChildProcess>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lock-cli-'));
});
afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  await rm(dir, { recursive: true, force: true });
});

interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function lock(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const done = new Promise<Result>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, done };
}

const run = (args: string[]) => lock(args).done;

/** Waits until `file` exists (the command under the lock writes it when it starts). */
async function until(file: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await readFile(file, 'utf8').catch(() => '')) !== '') return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${file} never appeared`);
}

describe('lock LOCKPATH -- COMMAND', () => {
  it('runs COMMAND while holding LOCKPATH.lock and exits with its status', async () => {
    const path = join(dir, 'job');
    const result = await run([path, '--', 'sh', '-c', 'test -L "$1.lock" && echo held; exit 3', 'sh', path]);
    expect(result).toMatchObject({ status: 3, stdout: 'held\n', stderr: '' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes flock(1)\'s form without "--", and -c SHELL-COMMAND', async () => {
    const path = join(dir, 'job');
    expect(await run([path, 'echo', 'a', 'b'])).toMatchObject({ status: 0, stdout: 'a b\n' });
    expect(await run([path, '-c', 'echo "$((6 * 7))"'])).toMatchObject({ status: 0, stdout: '42\n' });
  });

  it('exits 128+N when COMMAND is killed by signal N, as shells report it', async () => {
    expect(await run([join(dir, 'job'), 'sh', '-c', 'kill -TERM $$'])).toMatchObject({ status: 143 });
    expect(await run([join(dir, 'job'), 'sh', '-c', 'kill -KILL $$'])).toMatchObject({ status: 137 });
  });

  it('with --timeout 0 fails at once with exit 1 and names the holder pid', async () => {
    const path = join(dir, 'job');
    const started = join(dir, 'started');
    const holder = lock([path, 'sh', '-c', `echo x > ${started}; exec sleep 30`]);
    await until(started);
    const result = await run(['--timeout', '0', path, '--', 'echo', 'never']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    // The lock tool and its command, whose pid the lock records so that it stays held if the tool dies.
    expect(result.stderr).toMatch(
      new RegExp(`^lock: ${path} is locked by pid ${holder.child.pid}( \\(also pid \\d+\\))?\n$`),
    );
    expect(await run(['-n', '-E', '7', path, 'true'])).toMatchObject({ status: 7 });
    const waited = await run(['-w', '0.2', path, 'true']);
    expect(waited).toMatchObject({ status: 1, stderr: expect.stringContaining('gave up after 0.2 s') });
    holder.child.kill('SIGTERM');
    expect((await holder.done).status).toBe(143);
  });

  it('waits by default until the holder is done, then runs', async () => {
    const path = join(dir, 'job');
    const started = join(dir, 'started');
    const holder = lock([path, 'sh', '-c', `echo x > ${started}; sleep 0.3; echo first`]);
    await until(started);
    const second = await run([path, 'echo', 'second']);
    expect(second).toMatchObject({ status: 0, stdout: 'second\n' });
    expect((await holder.done).stdout).toBe('first\n');
  });

  it('runs critical sections of 4 concurrent `lock` processes one at a time', async () => {
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const bump = `n=$(cat ${counter}); sleep 0.01; echo $((n + 1)) > ${counter}`;
    const rounds = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 5; i++) expect((await run([join(dir, 'counter'), '-c', bump])).status).toBe(0);
    });
    await Promise.all(rounds);
    expect((await readFile(counter, 'utf8')).trim()).toBe('20');
  });
});

describe('as flock(1)', () => {
  it('-c runs $SHELL -c, and sh when SHELL is unset or empty', async () => {
    const path = join(dir, 'job');
    const { SHELL: _, ...unset } = process.env;
    const script = 'if [ -n "$BASH_VERSION" ]; then echo bash; else echo "$0"; fi';
    expect((await lock([path, '-c', script], { ...unset, SHELL: '/bin/bash' }).done).stdout).toBe('bash\n');
    expect((await lock([path, '-c', script], unset).done).stdout).toBe('/bin/sh\n');
    expect((await lock([path, '-c', script], { ...unset, SHELL: '' }).done).stdout).toBe('/bin/sh\n');
  });

  it('--verbose writes its lines on stdout, as flock', async () => {
    const result = await run(['--verbose', join(dir, 'job'), 'true']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^lock: getting lock took \d+\.\d{6} seconds\nlock: executing true\n$/);
    expect(result.stderr).toBe('');
  });

  it('-s takes a shared lock: shared holders run together, an exclusive one is refused (-E) until they end', async () => {
    const path = join(dir, 'job');
    const started = join(dir, 'started');
    const holder = lock(['-s', path, 'sh', '-c', `echo x > ${started}; exec sleep 30`]);
    await until(started);
    expect(await run(['-s', '-n', path, 'echo', 'reading too'])).toMatchObject({
      status: 0,
      stdout: 'reading too\n',
    });
    const refused = await run(['-n', '-E', '9', path, 'true']);
    expect(refused.status).toBe(9);
    expect(refused.stderr).toMatch(new RegExp(`^lock: ${path} is locked by pid ${holder.child.pid}`));
    holder.child.kill('SIGTERM');
    await holder.done;
    expect(await run(['-x', '-n', path, 'true'])).toMatchObject({ status: 0 });
  });

  it('-o: the command does not keep the lock, so it is free once lock itself is killed', async () => {
    const path = join(dir, 'job');
    const pidFile = join(dir, 'command.pid');
    const holder = lock(['-o', path, 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`]);
    await until(pidFile);
    const commandPid = Number(await readFile(pidFile, 'utf8'));
    try {
      expect((await run(['-n', path, 'true'])).status).toBe(1);
      const killed = new Promise((resolve) => holder.child.once('exit', resolve)); // its pipes stay with the command
      holder.child.kill('SIGKILL');
      await killed;
      expect(await run(['-n', path, 'echo', 'free'])).toMatchObject({ status: 0, stdout: 'free\n' });
    } finally {
      process.kill(commandPid, 'SIGKILL');
    }
  });
});

describe('errors', () => {
  it.each([
    [[], 'not enough arguments'],
    [['--bogus', 'x', 'true'], "unrecognized option '--bogus'"],
    [['--timeout'], "option '--timeout' requires an argument"],
    [['-q', 'x', 'true'], "invalid option -- 'q'"],
    [['-w'], "option requires an argument -- 'w'"],
    [['x'], 'no command to run'],
    [
      ['-u', 'x', 'true'],
      'unlocking a descriptor is not supported: a lock is released when its command ends',
    ],
  ])('%j is a usage error: exit 64 (EX_USAGE, as flock) with "%s"', async (args, message) => {
    const result = await run(args);
    expect(result.status).toBe(64);
    expect(result.stderr).toBe(`lock: ${message}\nTry 'lock --help' for more information.\n`);
  });

  // util-linux 2.42 flock.c: strtotimeval_or_err / strtos32_or_err and its range check (errx, no --help hint);
  // a timeout its timer refuses fails as timer_settime does, with EX_OSERR.
  it.each([
    [['-w', 'abc', 'x', 'true'], "invalid timeout value: 'abc'", 64],
    [['-w', '', 'x', 'true'], "invalid timeout value: ''", 64],
    [['-w', '1e999', 'x', 'true'], "invalid timeout value: '1e999': Numerical result out of range", 64],
    [['-w', '-1', 'x', 'true'], 'cannot set up timer: Invalid argument', 71],
    [['-w', 'inf', 'x', 'true'], 'cannot set up timer: Invalid argument', 71],
    [['-E', 'abc', 'x', 'true'], "invalid exit code: 'abc'", 64],
    [['-E', '300', 'x', 'true'], 'exit code out of range (expected 0 to 255)', 64],
    [['-E', '-1', 'x', 'true'], 'exit code out of range (expected 0 to 255)', 64],
    [
      ['-E', '99999999999', 'x', 'true'],
      "invalid exit code: '99999999999': Numerical result out of range",
      64,
    ],
    [['-n'], 'requires file descriptor, file or directory', 64],
    [['x', '-c'], '-c requires exactly one command argument', 64],
    [['-F', '-o', 'x', 'true'], 'the --no-fork and --close options are incompatible', 64],
  ])('%j fails as flock does: "%s", exit %i', async (args, message, status) => {
    expect(await run(args)).toMatchObject({ status, stdout: '', stderr: `lock: ${message}\n` });
  });

  // Side by side with util-linux's own flock (Debian's 2.38.1 here: where 2.42 differs, -w 1e999, the table above
  // follows 2.42's source).
  const flock = spawnSync('flock', ['--version'], { encoding: 'utf8' });
  it.skipIf(flock.error !== undefined && !process.env.CI)(
    'prints the same messages with the same statuses as the real flock for bad options',
    async () => {
      const cases = [
        ['-w', 'abc', 'x', 'true'],
        ['-w', '', 'x', 'true'],
        ['-w', '-1', 'x', 'true'],
        ['-E', 'abc', 'x', 'true'],
        ['-E', '300', 'x', 'true'],
        ['-E', '-1', 'x', 'true'],
        ['-E', '99999999999', 'x', 'true'],
        [],
        ['-n'],
        ['-q', 'x', 'true'],
        ['--bogus', 'x', 'true'],
        ['-w'],
        ['x', '-c'],
        ['-F', '-o', 'x', 'true'],
      ];
      for (const args of cases) {
        const theirs = spawnSync('flock', args, { cwd: dir, encoding: 'utf8' });
        const ours = await run(args.map((arg) => (arg === 'x' ? join(dir, 'x') : arg)));
        const stderr = theirs.stderr.replaceAll('flock', 'lock');
        expect({ args, status: ours.status, stderr: ours.stderr }).toEqual({
          args,
          status: theirs.status,
          stderr,
        });
      }
    },
  );

  it('refuses the descriptor form (`lock 9`), saying why and what to run instead', async () => {
    const result = await run(['9']);
    expect(result.status).toBe(64);
    expect(result.stderr).toBe(
      "lock: locking a file descriptor (9) is not supported: a lock here is held by a process, and lock would exit at once (only flock(2) can leave a lock on a descriptor the shell keeps); run the locked commands under lock instead: lock LOCKPATH -c 'COMMANDS'\n",
    );
  });

  it("reports an empty or too long command name as flock does (execvp's error), exit 69, lock released", async () => {
    const path = join(dir, 'job');
    expect(await run([path, ''])).toMatchObject({
      status: 69,
      stderr: 'lock: failed to execute : No such file or directory\n',
    });
    const long = 'a'.repeat(5000);
    expect(await run([path, long])).toMatchObject({
      status: 69,
      stderr: `lock: failed to execute ${long}: File name too long\n`,
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('exits 66 naming the directory when the lock cannot be created', async () => {
    const result = await run([join(dir, 'missing', 'job'), 'true']);
    expect(result).toMatchObject({ status: 66 });
    expect(result.stderr).toContain(`directory ${join(dir, 'missing')} does not exist`);
  });

  it('warns when the lock is removed behind its back, and still exits with the status of COMMAND', async () => {
    const path = join(dir, 'job');
    // The command first waits until lock has adopted it (the link's record has its adopted "pid:start" field), so
    // that the link is not replaced after rm removed it.
    const script = 'until readlink "$1.lock" | grep -q :; do sleep 0.01; done; rm "$1.lock"; exit 4';
    const result = await run([path, 'sh', '-c', script, 'sh', path]);
    expect(result.status).toBe(4);
    expect(result.stderr).toMatch(/^lock: warning: lock .*job\.lock was compromised: /);
  });

  it('exits 69 when COMMAND cannot be executed, and releases the lock', async () => {
    const result = await run([join(dir, 'job'), 'no-such-command-here']);
    expect(result).toMatchObject({
      status: 69,
      stderr: 'lock: failed to execute no-such-command-here: No such file or directory\n',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('prints help and version', async () => {
    expect(await run(['--help'])).toMatchObject({
      status: 0,
      stdout: expect.stringContaining('Usage:\n lock'),
    });
    expect(await run(['-V'])).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^lock from @suite\/cli /),
    });
  });
});

describe('parseArgs', () => {
  it('reads flock-style options before LOCKPATH and leaves options after it to COMMAND', () => {
    expect(parseArgs(['--stale=5', '-w3.5', 'p', '--', 'ls', '-l'])).toEqual({
      kind: 'run',
      path: 'p',
      timeout: 3.5,
      stale: 5,
      conflictExitCode: 1,
      verbose: false,
      shared: false,
      close: false,
      argv: ['ls', '-l'],
    });
    expect(parseArgs(['p', 'ls', '-w', '1'])).toMatchObject({
      timeout: Number.POSITIVE_INFINITY,
      argv: ['ls', '-w', '1'],
    });
    expect(parseArgs(['-n', 'p', '-c', 'a b'])).toMatchObject({ timeout: 0 });
  });

  it('takes clustered short options and unambiguous long prefixes, as getopt_long does', () => {
    expect(parseArgs(['-nE7', 'p', 'true'])).toMatchObject({ timeout: 0, conflictExitCode: 7 });
    expect(parseArgs(['-xw', '2', 'p', 'true'])).toMatchObject({ timeout: 2 });
    expect(parseArgs(['--nonb', '--verb', '--conf=3', 'p', 'true'])).toMatchObject({
      timeout: 0,
      verbose: true,
      conflictExitCode: 3,
    });
    expect(parseArgs(['--n', 'p', 'true'])).toEqual({ kind: 'usage', message: "option '--n' is ambiguous" });
    expect(parseArgs(['-q', 'p', 'true'])).toEqual({ kind: 'usage', message: "invalid option -- 'q'" });
    expect(parseArgs(['--verbose=1', 'p', 'true'])).toEqual({
      kind: 'usage',
      message: "option '--verbose' doesn't allow an argument",
    });
  });
});
