import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOwner } from '@suite/lockfile/node';
import { afterEach, beforeEach, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/lock.js', import.meta.url));
let dir: string;
const children = new Set<ChildProcess>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lock-e2e-'));
});
afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  // The command of a SIGKILLed lock tool may still run: end it by its pid file.
  const pid = Number(await readFile(join(dir, 'command.pid'), 'utf8').catch(() => '0'));
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  await rm(dir, { recursive: true, force: true });
});

function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  return child;
}

function status(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

async function until(test: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (await test()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('timed out waiting');
}

/** Whether `pid` runs (a zombie left to an init that does not reap is not running). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
};

it('keeps the lock held after the lock tool is SIGKILLed, until COMMAND exits', async () => {
  const path = join(dir, 'job');
  const pidFile = join(dir, 'command.pid');
  const release = join(dir, 'release');
  // COMMAND records its pid, then runs until the file `release` appears.
  const script = `echo $$ > ${pidFile}; while [ ! -e ${release} ]; do sleep 0.05; done`;
  const tool = start([path, 'sh', '-c', script]);
  // 'exit', not 'close': the command still holds the tool's output pipes after the tool is killed.
  const toolExit = new Promise((resolve) => tool.on('exit', (code, signal) => resolve({ code, signal })));
  await until(async () => (await readFile(pidFile, 'utf8').catch(() => '')).endsWith('\n'));
  const commandPid = Number(await readFile(pidFile, 'utf8'));
  // Give the tool a moment to adopt the child's pid, then kill it outright.
  await until(
    async () => (await readOwner(path).catch(() => undefined))?.pids?.includes(commandPid) === true,
  );
  tool.kill('SIGKILL');
  expect(await toolExit).toMatchObject({ signal: 'SIGKILL' });
  expect(alive(commandPid)).toBe(true);

  const refused = await status(start(['--timeout', '0', path, 'true']));
  expect(refused.code).toBe(1);
  // Only the command keeps it now, and the message names it.
  expect(refused.stderr).toBe(`lock: ${path} is locked by pid ${commandPid}\n`);

  await rm(pidFile); // from here the test waits for the command to end by itself
  await writeFile(release, '');
  await until(async () => !alive(commandPid));
  const after = await status(start(['--timeout', '0', path, 'true']));
  expect(after).toMatchObject({ code: 0, stderr: '' });
});

it('passes SIGTERM on to COMMAND, exits with its status and releases the lock', async () => {
  const path = join(dir, 'job');
  const pidFile = join(dir, 'command.pid');
  const tool = start([
    path,
    'sh',
    '-c',
    `trap 'echo got TERM; exit 5' TERM; echo $$ > ${pidFile}; while :; do sleep 0.05; done`,
  ]);
  let stdout = '';
  tool.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  const toolExit = status(tool);
  await until(async () => (await readFile(pidFile, 'utf8').catch(() => '')).endsWith('\n'));
  tool.kill('SIGTERM');
  expect(await toolExit).toMatchObject({ code: 5, signal: null });
  expect(stdout).toBe('got TERM\n');
  expect((await readdir(dir)).filter((name) => name.includes('job'))).toEqual([]);
});
