// How the one-shot commands start: each bin reads one bundle, and V8's compile cache is optional.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

/** The commands whose bin is CommonJS (COMMONJS_BIN in tsup.config.ts). */
const ONE_SHOT_CJS = ['uuidgen', 'uuidparse', 'lock', 'pkgs_to_mmin'];

/** A copy of one bin holding nothing but its bin file, its one bundle and a package.json (ESM, a version). */
async function isolated(name: string): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'dist'), { recursive: true });
  await writeFile(join(root, 'package.json'), '{"type":"module","version":"9.8.7"}\n');
  // The one-shot commands are CommonJS bins (bin/NAME.cjs requiring dist/NAME.bin.cjs): see tsup.config.ts.
  const ext = ONE_SHOT_CJS.includes(name) ? 'cjs' : 'js';
  const binFile = bin(name).replace(/\.js$/, `.${ext}`);
  await copyFile(binFile, join(root, 'bin', `${name}.${ext}`));
  await copyFile(
    join(binFile, '..', '..', 'dist', `${name}.bin.${ext}`),
    join(root, 'dist', `${name}.bin.${ext}`),
  );
  return join(root, 'bin', `${name}.${ext}`);
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
  });

  it('uuidgen draws its random bytes from /dev/urandom without loading node:crypto', async () => {
    const gen = await exec(process.execPath, ['--import', report, bin('uuidgen'), '-C', '300']);
    const lines = gen.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(300);
    expect(new Set(lines).size).toBe(300);
    for (const line of lines) expect(`${line}\n`).toMatch(UUID_LINE);
    expect(gen.stderr).toBe('');
  });

  it('uuidgen falls back to node:crypto where /dev/urandom cannot be opened', async () => {
    const noUrandom = join(dir, 'no-urandom.cjs');
    await writeFile(
      noUrandom,
      `const fs = require('node:fs'); const open = fs.openSync;
       fs.openSync = (path, ...rest) => { if (path === '/dev/urandom') throw Object.assign(new Error('EACCES'), { code: 'EACCES' }); return open(path, ...rest); };
       process.on('exit', () => process.stderr.write(process.moduleLoadList.filter((m) => /crypto/.test(m)).join(',')));\n`,
    );
    const gen = await exec(process.execPath, [
      '-r',
      noUrandom,
      bin('uuidgen').replace(/\.js$/, '.cjs'),
      '-C',
      '2',
    ]);
    expect(gen.stdout).toMatch(
      /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n){2}$/,
    );
    expect(gen.stderr).toContain('NativeModule crypto');
  });
});

describe('the one-shot commands are CommonJS bins, started without the ESM loader', () => {
  it('package.json runs them from bin/NAME.cjs', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      bin: Record<string, string>;
    };
    for (const name of ONE_SHOT_CJS) expect(pkg.bin[name]).toBe(`bin/${name}.cjs`);
  });

  it("running them loads fewer of Node's modules than the same program as an ES module entry, and prints the same", async () => {
    const count = join(dir, 'count.cjs');
    await writeFile(
      count,
      "process.on('exit', () => process.stderr.write(String(process.moduleLoadList.length)));\n",
    );
    const cjs = (name: string) => bin(name).replace(/\.js$/, '.cjs');
    const gen = await exec(process.execPath, ['-r', count, cjs('uuidgen')]);
    expect(gen.stdout).toMatch(UUID_LINE);
    const parse = await exec(process.execPath, ['-r', count, cjs('uuidparse'), UUID]);
    expect(parse.stdout).toContain(`${UUID}  DCE     time-based`);
    // The same bundle entered as an ES module, as the bins were: Node loads its ESM loader on top.
    const asEsm = join(dir, 'as-esm.mjs');
    await writeFile(asEsm, `import ${JSON.stringify(cjs('uuidgen'))};\n`);
    const esm = await exec(process.execPath, ['-r', count, asEsm]);
    expect(esm.stdout).toMatch(UUID_LINE);
    expect(Number(gen.stderr)).toBeGreaterThan(0);
    // Node 20 loads its ESM loader only for an ES module entry (18 modules more, measured); Node 22 loads part of
    // it at start-up anyway (8 more), Node 24 and 26 all of it (the same count): never more for the CommonJS bin.
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22) expect(Number(gen.stderr) + 10).toBeLessThan(Number(esm.stderr));
    else expect(Number(gen.stderr)).toBeLessThanOrEqual(Number(esm.stderr));
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
