// Every command's manners at its edges (src/shared/io-boundary.ts, installed by src/shared/define-tool.ts): --help
// and --version on stdout, a reader that goes away (EPIPE) ends the output quietly, a failing stdout is a `write
// error` and status 1, an unexecutable command in `lock` is flock's message and status.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, tool } from './_support.js';

const COMMANDS = [
  'suite',
  'uuidgen',
  'uuidparse',
  'uuidd',
  'lock',
  'mm',
  'pkgs_to_mmin',
  'ctm_smail',
  'ctm_dequeue',
  'ctm_rmail',
  'ctm',
] as const;
const UTIL_LINUX = new Set(['uuidgen', 'uuidparse', 'uuidd']);
const STACK = /internal error|\n\s+at .+:\d+:\d+\)?\n|Unhandled|node:events/;

const dir = mkdtempSync(join(tmpdir(), 'io-boundary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  stderr: string;
}

function exited(child: ChildProcess): Promise<Exit> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Runs a command with its stdout on /dev/full. */
function toDevFull(name: string, args: string[]): Promise<Exit> {
  const full = openSync('/dev/full', 'w');
  const child = spawn(process.execPath, [bin(name), ...args], { cwd: dir, stdio: ['ignore', full, 'pipe'] });
  closeSync(full);
  return exited(child);
}

/** Runs a command whose reader closes the pipe after the first chunk, as `| head -1` does. */
function toClosingPipe(
  name: string,
  args: string[],
  cwd = dir,
): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [bin(name), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.once('data', () => child.stdout!.destroy());
  return { child, done: exited(child) };
}

describe('--help and --version', () => {
  for (const name of COMMANDS) {
    it(`${name} answers both on stdout with status 0`, async () => {
      const help = await tool(name, ['--help']);
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(/usage/i);
      const version = await tool(name, ['--version']);
      expect(version).toMatchObject({ code: 0, stderr: '' });
      expect(version.stdout).toMatch(
        UTIL_LINUX.has(name)
          ? new RegExp(`^${name} from util-linux 2\\.42 \\(@suite/cli \\d+\\.\\d+\\.\\d+\\S*\\)\\n$`)
          : new RegExp(`^${name} from @suite/cli \\d+\\.\\d+\\.\\d+\\S*( \\(.+ compatible\\))?\\n$`),
      );
    });
  }

  it("keep util-linux's -V for uuidgen, uuidparse and uuidd, so version sniffing still works", async () => {
    for (const name of UTIL_LINUX) {
      const r = await tool(name, ['-V']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\S+ from util-linux 2\.42\b/);
    }
  });
});

describe('a stdout that fails: `uuidgen > /dev/full`', () => {
  const cases: [string, string[]][] = [
    ['uuidgen', []],
    ['uuidgen', ['-C', '20000']],
    ['uuidparse', ['00000000-0000-0000-0000-000000000000']],
    ['suite', ['--help']],
    ['mm', ['--version']],
    ['pkgs_to_mmin', ['--help']],
    ['ctm', ['--help']],
    ['ctm_rmail', ['--version']],
    ['lock', ['--help']],
    ['uuidd', ['--help']],
  ];
  for (const [name, args] of cases) {
    it(`${name} ${args.join(' ')} says "${name}: write error: No space left on device" and exits 1`, async () => {
      expect(await toDevFull(name, args)).toEqual({
        code: 1,
        stderr: `${name}: write error: No space left on device\n`,
      });
    });
  }
});

describe('a reader that goes away (EPIPE)', () => {
  it('pkgs_to_mmin BIG | head -1 ends quietly with status 0', async () => {
    const lines = Array.from({ length: 20000 }, (_, i) => `package=p${i}\nsite=s${i}.example.org\n`).join(
      '\n',
    );
    writeFileSync(join(dir, 'big-packages'), lines);
    const { done } = toClosingPipe('pkgs_to_mmin', [join(dir, 'big-packages')]);
    expect(await done).toEqual({ code: 0, stderr: '' });
  });

  it('uuidgen -C 200000 | head -1 stops early, quietly, with status 0', async () => {
    const { done } = toClosingPipe('uuidgen', ['-C', '200000']);
    expect(await done).toEqual({ code: 0, stderr: '' });
  });

  it('ctm -l BIG.gz | head -1 ends without an error', async () => {
    const old = join(dir, 'ctm-old');
    const next = join(dir, 'ctm-new');
    mkdirSync(old);
    mkdirSync(next);
    for (let i = 0; i < 3000; i++) writeFileSync(join(next, `f${i}`), `${i}\n`);
    const delta = join(dir, 'big.0001.gz');
    expect((await tool('ctm', ['diff', '-q', '-o', delta, old, next, 'big', '1'])).code).toBe(0);
    const { done } = toClosingPipe('ctm', ['-l', delta]);
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/EPIPE|write error/);
  });

  it('mm conf | head -1: mm runs its jobs to the end, holds their locks meanwhile and records their status', async () => {
    const home = join(dir, 'mm-home');
    mkdirSync(home);
    writeFileSync(
      join(home, 'conf'),
      [
        'max=3',
        'mirror=sleep 1.5; echo done > "done.$MM_PKG"',
        'a.example:p1 1 1',
        'a.example:p2 1 1',
        'a.example:p3 1 1',
        '',
      ].join('\n'),
    );
    const { child, done } = toClosingPipe('mm', ['--quiet', 'conf'], home);
    // While the jobs run, with nobody reading mm's stdout: mm is alive and the jobs are locked.
    await new Promise((r) => setTimeout(r, 900));
    expect(child.exitCode).toBe(null);
    const status = await tool('mm', ['--status', '--json', 'conf'], { cwd: home });
    const rows = JSON.parse(status.stdout) as { lockedBy?: unknown }[];
    expect(JSON.stringify(rows)).toMatch(new RegExp(`${child.pid}`));
    const r = await done;
    expect(r).toEqual({ code: 0, stderr: '' });
    for (const p of ['p1', 'p2', 'p3']) expect(existsSync(join(home, `done.${p}`))).toBe(true);
    const mmStatus = readFileSync(join(home, 'mm.status'), 'utf8');
    expect(mmStatus).toMatch(/^a\.example:p1 \d+ 0 u \d+$/m); // the PID column keeps the mirror's pid, as mm.pl
    expect(mmStatus.trim().split('\n')).toHaveLength(3);
  });
});

describe("lock: a command that cannot be executed gets flock(1)'s message and status 69", () => {
  it("lock L '' fails to execute '': No such file or directory", async () => {
    expect(await tool('lock', [join(dir, 'L'), ''])).toEqual({
      code: 69,
      stdout: '',
      stderr: 'lock: failed to execute : No such file or directory\n',
    });
  });

  it('a 5000-character command name: File name too long', async () => {
    const name = 'x'.repeat(5000);
    expect(await tool('lock', [join(dir, 'L'), name])).toEqual({
      code: 69,
      stdout: '',
      stderr: `lock: failed to execute ${name}: File name too long\n`,
    });
  });

  it('a file without execute permission: Permission denied', async () => {
    const file = join(dir, 'not-executable');
    writeFileSync(file, 'echo hi\n', { mode: 0o644 });
    expect(await tool('lock', [join(dir, 'L'), file])).toEqual({
      code: 69,
      stdout: '',
      stderr: `lock: failed to execute ${file}: Permission denied\n`,
    });
  });
});
