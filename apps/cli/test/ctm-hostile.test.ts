// ctm(1) against hostile deltas and failing disks: nothing outside the tree changes, a refused delta changes
// nothing, names keep their bytes, a full disk leaves no temporary behind.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin } from './_support.js';

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function ctm(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin('ctm'), ...args],
      { cwd, encoding: 'buffer', maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr: stderr.toString('latin1') });
      },
    );
  });
}

/** A delta written by hand, as bytes (names may be any bytes). */
function handDelta(body: Buffer | string, number = 1): Buffer {
  const signed = Buffer.concat([
    Buffer.from(`CTM_BEGIN 2.0 test ${number} 20250102030405Z .\n`),
    Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'),
    Buffer.from('CTM_END '),
  ]);
  return Buffer.concat([signed, Buffer.from(`${md5(signed)}\n`)]);
}

/** Every name below `root` with its content (directories end in `/`), as a comparable snapshot. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel), { encoding: 'buffer' })) {
      const relName = rel ? `${rel}/${name.toString('latin1')}` : name.toString('latin1');
      const path = Buffer.concat([Buffer.from(`${root}/`), Buffer.from(relName, 'latin1')]);
      const st = statSync(path);
      if (st.isDirectory()) {
        out[`${relName}/`] = (st.mode & 0o777).toString(8);
        walk(relName);
      } else out[relName] = `${(st.mode & 0o777).toString(8)} ${readFileSync(path, 'latin1')}`;
    }
  };
  walk('');
  return out;
}

let dir: string;
let tree: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-hostile-'));
  tree = join(dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, '.ctm_status'), 'test 0\n');
  writeFileSync(join(tree, 'a.txt'), 'alpha\nbeta\ngamma\n');
  writeFileSync(join(tree, 'old.c'), 'old\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ctm: a symlink in the tree is never followed', () => {
  it('refuses CTMAS on a name that is a symlink (exit 32) and leaves the file it points to as it was', async () => {
    const outside = join(dir, 'secret');
    writeFileSync(outside, 'secret\n');
    chmodSync(outside, 0o600);
    symlinkSync(outside, join(tree, 'link'));
    writeFileSync(join(dir, 'd'), handDelta('CTMAS link 0 0 666\n'));
    const before = snapshot(tree);
    for (const args of [[], ['-u']]) {
      const run = await ctm([...args, join(dir, 'd')], tree);
      expect(run.code).toBe(32);
      expect(run.stderr).toContain('  AS: link: refused: link is a symlink.\n');
      expect(statSync(outside).mode & 0o777).toBe(0o600);
      expect(statSync(outside).mtime.getUTCFullYear()).not.toBe(2025);
    }
    expect(snapshot(tree)).toEqual(before);
  });
});

describe('ctm: a bad mode is a bad delta', () => {
  it('refuses a mode of 40 digits before changing anything (exit 32, "Mode is out of range.")', async () => {
    writeFileSync(join(dir, 'd'), handDelta(`CTMFM new.c 0 0 ${'7'.repeat(40)} ${md5('x\n')} 2\nx\n\n`));
    const before = snapshot(tree);
    const run = await ctm([join(dir, 'd')], tree);
    expect(run.code).toBe(32);
    expect(run.stderr).toContain('Mode is out of range.');
    expect(snapshot(tree)).toEqual(before);
  });
});

describe('ctm: the before-MD5 of every change is checked (exit 8, the tree untouched)', () => {
  const edit = (before: string) =>
    `CTMFN a.txt 0 0 644 ${before} ${md5('alpha\ngamma\ndelta\n')} 16\nd2 1\na3 1\ndelta\n\n`;

  it('FN on a file changed locally: "  FN: a.txt md5 mismatch."', async () => {
    writeFileSync(join(tree, 'a.txt'), 'alpha\nBETA\ngamma\n');
    writeFileSync(join(dir, 'd'), handDelta(edit(md5('alpha\nbeta\ngamma\n'))));
    const before = snapshot(tree);
    const run = await ctm([join(dir, 'd')], tree);
    expect(run.code).toBe(8);
    expect(run.stderr).toContain('  FN: a.txt md5 mismatch.\n');
    expect(snapshot(tree)).toEqual(before);
  });

  it('FS then FN on one file: the FN is checked against what the FS leaves', async () => {
    const fs = `CTMFS a.txt 0 0 644 ${md5('alpha\nbeta\ngamma\n')} ${md5('one\ntwo\n')} 8\none\ntwo\n\n`;
    // The FN expects the file as it was before the FS: the delta cannot apply.
    writeFileSync(join(dir, 'd'), handDelta(fs + edit(md5('alpha\nbeta\ngamma\n'))));
    const before = snapshot(tree);
    const run = await ctm([join(dir, 'd')], tree);
    expect(run.code).toBe(8);
    expect(run.stderr).toContain('  FN: a.txt md5 mismatch.\n');
    expect(snapshot(tree)).toEqual(before);
  });

  it('FR of a file changed locally: "  FR: old.c md5 mismatch.", the file stays', async () => {
    writeFileSync(join(tree, 'old.c'), 'my local change\n');
    writeFileSync(join(dir, 'd'), handDelta(`CTMFR old.c ${md5('old\n')}\n`));
    const before = snapshot(tree);
    const run = await ctm([join(dir, 'd')], tree);
    expect(run.code).toBe(8);
    expect(run.stderr).toContain('  FR: old.c md5 mismatch.\n');
    expect(snapshot(tree)).toEqual(before);
  });
});

describe('ctm: names are bytes', () => {
  it('makes caf\\xe9 and caf\\xe8 as two files with exactly those names, and lists them as bytes', async () => {
    const body = Buffer.concat([
      Buffer.from('CTMFM caf\xe9 0 0 644 ', 'latin1'),
      Buffer.from(`${md5('e9\n')} 3\ne9\n\n`),
      Buffer.from('CTMFM caf\xe8 0 0 644 ', 'latin1'),
      Buffer.from(`${md5('e8\n')} 3\ne8\n\n`),
    ]);
    writeFileSync(join(dir, 'd'), handDelta(body));
    const list = await ctm(['-l', '-q', join(dir, 'd')], tree);
    expect(list.stdout).toEqual(Buffer.from('> FM caf\xe9\n> FM caf\xe8\n', 'latin1'));
    const run = await ctm(['-q', join(dir, 'd')], tree);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const names = readdirSync(tree, { encoding: 'buffer' }).map((n) => n.toString('latin1'));
    expect(names.sort()).toEqual(['.ctm_status', 'a.txt', 'caf\xe8', 'caf\xe9', 'old.c']);
    expect(readFileSync(Buffer.from(`${tree}/caf\xe9`, 'latin1'), 'utf8')).toBe('e9\n');
    expect(readFileSync(Buffer.from(`${tree}/caf\xe8`, 'latin1'), 'utf8')).toBe('e8\n');
  });

  it('ctm diff keeps a non-UTF-8 name byte for byte', async () => {
    const old = join(dir, 'old');
    const neu = join(dir, 'new');
    mkdirSync(old);
    mkdirSync(neu);
    writeFileSync(Buffer.from(`${neu}/caf\xe9.txt`, 'latin1'), 'x\n');
    const made = await ctm(['diff', '-q', old, neu, 'src', '1', '-o', join(dir, 'src.0001.gz')], dir);
    expect(made.code).toBe(0);
    expect((await ctm(['-q', join(dir, 'src.0001.gz')], old)).code).toBe(0);
    expect(readdirSync(old, { encoding: 'buffer' }).map((n) => n.toString('latin1'))).toContain(
      'caf\xe9.txt',
    );
  });
});

describe('ctm -B: names that look like options', () => {
  it('backs up a file named "-rf" (tar never reads it as an option) and applies the delta', async () => {
    writeFileSync(join(tree, '-rf'), 'dash\n');
    writeFileSync(join(dir, 'd'), handDelta(`CTMFS -rf 0 0 644 ${md5('dash\n')} ${md5('new\n')} 4\nnew\n\n`));
    const run = await ctm(['-q', '-B', join(dir, 'backup.tar'), join(dir, 'd')], tree);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const saved = spawnSync('tar', ['-xOf', join(dir, 'backup.tar'), './-rf'], { encoding: 'utf8' });
    expect(saved.stdout).toBe('dash\n');
    expect(readFileSync(join(tree, '-rf'), 'utf8')).toBe('new\n');
  });
});

describe('ctm on a full disk', () => {
  const mnt = join(tmpdir(), `ctm-full-${process.pid}`);
  let mounted = false;
  beforeEach((context) => {
    mkdirSync(mnt, { recursive: true });
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    mounted = mount.status === 0;
    if (!mounted) {
      const why = `cannot mount a 1 MiB tmpfs (${(mount.stderr || mount.error?.message || '').trim()})`;
      context.skip(why); // needs root (or CAP_SYS_ADMIN) to mount: said, never silent
    }
  });
  afterEach(() => {
    if (mounted) spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it('exits 4 (out of resources) and leaves no NAME.ctmtmp; once there is room a rerun finishes', async () => {
    const small = join(mnt, 'tree');
    mkdirSync(small);
    writeFileSync(join(small, '.ctm_status'), 'test 0\n');
    writeFileSync(join(small, 'filler'), Buffer.alloc(600 * 1024, 1));
    const big = Buffer.alloc(700 * 1024, 0x61);
    const body = Buffer.concat([
      Buffer.from(`CTMFM big.txt 0 0 644 ${md5(big)} ${big.length}\n`),
      big,
      Buffer.from(`\nCTMFS .ctm_status 0 0 644 ${md5('test 0\n')} ${md5('test 1\n')} 7\ntest 1\n\n`),
    ]);
    writeFileSync(join(dir, 'test.0001.gz'), gzipSync(handDelta(body)));
    const run = await ctm(['-q', join(dir, 'test.0001.gz')], small);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('No space left on device');
    const names = readdirSync(small);
    expect(names.filter((n) => n.endsWith('.ctmtmp'))).toEqual([]);
    expect(names).not.toContain('big.txt');
    expect(readFileSync(join(small, '.ctm_status'), 'utf8')).toBe('test 0\n');
    rmSync(join(small, 'filler'));
    expect((await ctm(['-q', join(dir, 'test.0001.gz')], small)).code).toBe(0);
    expect(readFileSync(join(small, 'big.txt')).equals(big)).toBe(true);
    expect(readFileSync(join(small, '.ctm_status'), 'utf8')).toBe('test 1\n');
  });
});
