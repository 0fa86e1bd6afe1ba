// How the one-shot commands start: each bin reads one bundle, and V8's compile cache is optional.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, tool } from './_support.js';

const exec = promisify(execFile);
const UUID = '0e4d9a52-ffb9-11ee-b962-0242ac120002';
const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'startup-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of one bin holding nothing but its bin file, its one bundle and a package.json (ESM, a version). */
async function isolated(name: string): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'dist'), { recursive: true });
  await writeFile(join(root, 'package.json'), '{"type":"module","version":"9.8.7"}\n');
  await copyFile(bin(name), join(root, 'bin', `${name}.js`));
  await copyFile(join(bin(name), '..', '..', 'dist', `${name}.bin.js`), join(root, 'dist', `${name}.bin.js`));
  return join(root, 'bin', `${name}.js`);
}

const runIn = (file: string, args: string[]) =>
  exec(process.execPath, [file, ...args], { cwd: dir }).catch(
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('one-shot bins start from one file', () => {
  it('uuidgen runs from a copy holding only its bin file and its bundle (no @suite/uuid, no chunks)', async () => {
    const r = await runIn(await isolated('uuidgen'), []);
    expect(r).toMatchObject({ stderr: '' });
    expect(r.stdout).toMatch(UUID_LINE);
    const version = await runIn(await isolated('uuidgen'), ['--version']);
    expect(version).toMatchObject({
      stdout: 'uuidgen from util-linux 2.42 (@suite/cli 9.8.7)\n',
      stderr: '',
    });
  });

  it('uuidparse runs from its bin file and its bundle alone', async () => {
    const r = await runIn(await isolated('uuidparse'), [UUID]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`${UUID}  DCE     time-based 2024-04-21 08:27:56,906350+00:00`);
  });

  it('lock runs a command under a lock from its bin file and its bundle alone, and leaves no lock behind', async () => {
    const lockFile = join(dir, 'the.lock');
    const r = await runIn(await isolated('lock'), [
      lockFile,
      process.execPath,
      '-e',
      'process.stdout.write("held")',
    ]);
    expect(r).toMatchObject({ stdout: 'held', stderr: '' });
    const again = await runIn(await isolated('lock'), ['-n', lockFile, 'true']);
    expect(again).toMatchObject({ stderr: '' });
  });

  it('pkgs_to_mmin reads a package file from its bin file and its bundle alone', async () => {
    await writeFile(join(dir, 'x11'), '# X\npackage=x11\nsite=ftp.x.org\nremote_dir=/pub\n');
    const r = await runIn(await isolated('pkgs_to_mmin'), ['x11']);
    expect(r).toMatchObject({ stdout: 'x11:x11 8 8\n', stderr: '' });
  });

  it('a bad option still reports as the tool does, from the bundle', async () => {
    const r = await runIn(await isolated('uuidgen'), ['--bogus']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(
      "uuidgen: unrecognized option '--bogus'\nTry 'uuidgen --help' for more information.\n",
    );
  });
});

describe('built-ins a run does not use are not loaded', () => {
  // Prints, at exit, every crypto or stream/consumers module Node loaded in the process.
  const report =
    'data:text/javascript,process.on("exit",()=>process.stderr.write(' +
    'process.moduleLoadList.filter((m)=>/crypto|consumers/.test(m)).join(",")))';

  it('uuidparse with UUIDs on its command line loads neither node:crypto nor node:stream/consumers', async () => {
    const r = await exec(process.execPath, ['--import', report, bin('uuidparse'), UUID]);
    expect(r.stdout).toContain(`${UUID}  DCE     time-based`);
    expect(r.stderr).toBe('');
  });

  it('uuidparse reads stdin as a stream (no stream/consumers), and uuidgen loads node:crypto when it draws random bytes', async () => {
    const child = execFile(process.execPath, ['--import', report, bin('uuidparse')]);
    child.stdin?.end(`${UUID}\n`);
    const [stdout, stderr] = await new Promise<[string, string]>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout?.on('data', (d) => (out += d));
      child.stderr?.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', () => resolve([out, err]));
    });
    expect(stdout).toContain(`${UUID}  DCE     time-based`);
    expect(stderr).not.toContain('NativeModule stream/consumers'); // uuidparse streams its stdin word by word
    const gen = await exec(process.execPath, ['--import', report, bin('uuidgen')]);
    expect(gen.stdout).toMatch(UUID_LINE);
    expect(gen.stderr).toContain('NativeModule crypto');
  });
});

describe('the compile cache never breaks a command', () => {
  it('a compile cache directory that cannot be created (under a regular file) is ignored', async () => {
    await writeFile(join(dir, 'file'), '');
    const env = { NODE_COMPILE_CACHE: join(dir, 'file', 'cache') };
    const r = await tool('uuidgen', [], { env });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(UUID_LINE);
    expect(await tool('uuidparse', [UUID], { env })).toMatchObject({ code: 0, stderr: '' });
  });

  it('a cache that is filled by one run is read by the next, with the same output', async () => {
    const env = { NODE_COMPILE_CACHE: join(dir, 'cache') };
    await writeFile(join(dir, 'pk'), 'package=a\nsite=s\n');
    const first = await tool('pkgs_to_mmin', ['-y', '24', '-n4', 'pk'], { env, cwd: dir });
    const second = await tool('pkgs_to_mmin', ['-y', '24', '-n4', 'pk'], { env, cwd: dir });
    expect(first).toMatchObject({ code: 0, stdout: 'pk:a 24 4\n', stderr: '' });
    expect(second).toEqual(first);
  });
});
