import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/ctm.js', import.meta.url));
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ctm(args: string[], cwd: string, input?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
    if (input) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

/** A delta written by hand as mkctm + `md5 -p` write them. */
function handDelta(body: string, number = 1): Buffer {
  const signed = `CTM_BEGIN 2.0 test ${number} 20250102030405Z .\n${body}CTM_END `;
  return Buffer.from(`${signed}${md5(signed)}\n`);
}

function write(root: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
}

const read = (path: string) => readFileSync(path, 'utf8');

let dir: string;
let tree: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-cli-'));
  tree = join(dir, 'tree');
  write(tree, { '.ctm_status': 'test 0\n', 'a.txt': 'alpha\nbeta\ngamma\n', 'old.c': 'old\n' });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const body = [
  `CTMDM lib 0 0 755\n`,
  `CTMFM lib/x.c 0 0 644 ${md5('x\n')} 2\nx\n\n`,
  `CTMFN a.txt 0 0 644 ${md5('alpha\nbeta\ngamma\n')} ${md5('alpha\ngamma\ndelta\n')} 16\nd2 1\na3 1\ndelta\n\n`,
  `CTMFR old.c ${md5('old\n')}\n`,
  `CTMFS .ctm_status 0 0 644 ${md5('test 0\n')} ${md5('test 1\n')} 7\ntest 1\n\n`,
].join('');

describe('ctm --help', () => {
  it('prints both synopses on stdout and exits 0, changing nothing', async () => {
    const run = await ctm(['--help'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: ctm \[-cFklquv\]/);
    expect(run.stdout).toMatch(/^ {7}ctm diff .* old-dir new-dir name number$/m);
    expect(run.stderr).toBe('');
  });
});

describe('ctm DELTA, as ctm_rmail -b runs it (cwd = the tree)', () => {
  it('applies a gzip delta and says what it did; a second run says it is already applied', async () => {
    writeFileSync(join(dir, 'test.0001.gz'), gzipSync(handDelta(body)));
    const first = await ctm(['-v', join(dir, 'test.0001.gz')], tree);
    expect(first.code).toBe(0);
    expect(first.stderr.split('\n')).toEqual([
      `Working on <${join(dir, 'test.0001.gz')}>`,
      '> DM lib',
      '> FM lib/x.c',
      '> FN a.txt',
      '> FR old.c',
      '> FS .ctm_status',
      'All done ok',
      'ctm: exit(0)',
      '',
    ]);
    expect(read(join(tree, 'a.txt'))).toBe('alpha\ngamma\ndelta\n');
    expect(read(join(tree, '.ctm_status'))).toBe('test 1\n');
    const again = await ctm([join(dir, 'test.0001.gz')], tree);
    expect(again).toMatchObject({
      code: 0,
      stderr: 'Delta number 1 is already applied; ignoring.\nctm: exit(0)\n',
    });
  });

  it('reads the delta from stdin and works on -b basedir', async () => {
    const run = await ctm(['-q', '-b', tree], dir, gzipSync(handDelta(body)));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(read(join(tree, 'lib/x.c'))).toBe('x\n');
  });

  it('-c checks and changes nothing; -l lists on stdout', async () => {
    writeFileSync(join(dir, 'd'), handDelta(body));
    const check = await ctm(['-c', join(dir, 'd')], tree);
    expect(check).toMatchObject({ code: 0, stderr: 'All checks out ok.\nctm: exit(0)\n' });
    expect(read(join(tree, 'old.c'))).toBe('old\n');
    const list = await ctm(['-l', '-q', join(dir, 'd')], tree);
    expect(list.stdout).toBe('> DM lib\n> FM lib/x.c\n> FN a.txt\n> FR old.c\n> FS .ctm_status\n');
  });

  it('a wrong before-MD5 exits 16 and changes nothing; -F forces it', async () => {
    write(tree, { '.ctm_status': 'test 0 \n' });
    writeFileSync(join(dir, 'd'), handDelta(body));
    const refused = await ctm([join(dir, 'd')], tree);
    expect(refused.code).toBe(16);
    expect(refused.stderr).toContain('  FS: .ctm_status md5 mismatch.\n  Could have forced.\n');
    expect(read(join(tree, 'old.c'))).toBe('old\n');
    expect(await ctm(['-F', '-q', join(dir, 'd')], tree)).toMatchObject({ code: 0 });
    expect(read(join(tree, '.ctm_status'))).toBe('test 1\n');
  });

  it('a missing file exits 8, a corrupt delta 1, a hostile name 32: nothing changes', async () => {
    rmSync(join(tree, 'a.txt'));
    writeFileSync(join(dir, 'd'), handDelta(body));
    expect((await ctm([join(dir, 'd')], tree)).code).toBe(8);
    write(tree, { 'a.txt': 'alpha\nbeta\ngamma\n' });
    const corrupt = handDelta(body);
    corrupt[60] = corrupt[60]! ^ 1;
    writeFileSync(join(dir, 'bad'), corrupt);
    const bad = await ctm([join(dir, 'bad')], tree);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Fatal error/);
    writeFileSync(join(dir, 'evil'), handDelta(`CTMFM ../escape 0 0 644 ${md5('x\n')} 2\nx\n\n`));
    const evil = await ctm([join(dir, 'evil')], tree);
    expect(evil.code).toBe(32);
    expect(evil.stderr).toContain("Paths containing '..' are illegal.");
    expect(read(join(tree, 'old.c'))).toBe('old\n');
    expect(statSync(join(tree, 'lib'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('-e/-x filter names with basic regular expressions, -k keeps removed files, -u dates files', async () => {
    writeFileSync(join(dir, 'd'), handDelta(body));
    const run = await ctm(
      ['-q', '-k', '-u', '-e', '^lib', '-e', '^old', '-x', 'x\\.c$', join(dir, 'd')],
      tree,
    );
    expect(run.code).toBe(0);
    expect(statSync(join(tree, 'lib')).isDirectory()).toBe(true);
    expect(statSync(join(tree, 'lib/x.c'), { throwIfNoEntry: false })).toBeUndefined();
    expect(read(join(tree, 'old.c'))).toBe('old\n');
    expect(read(join(tree, 'a.txt'))).toBe('alpha\nbeta\ngamma\n');
    expect(statSync(join(tree, 'lib')).mtime.toISOString()).toBe('2025-01-02T03:04:05.000Z');
  });

  it('-B backs up the files about to change with tar, before changing them', async () => {
    writeFileSync(join(dir, 'd'), handDelta(body));
    expect(await ctm(['-q', '-B', join(dir, 'backup.tar'), join(dir, 'd')], tree)).toMatchObject({ code: 0 });
    const listing = await new Promise<string>((resolve) => {
      execFile('tar', ['-xOf', join(dir, 'backup.tar'), 'old.c'], (_e, out) => resolve(out));
    });
    expect(listing).toBe('old\n');
  });

  it('refuses unknown options with exit 2 as the original does', async () => {
    const run = await ctm(['-z', 'x'], tree);
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toBe("ctm: option 'z' not supported\nctm: 1 errors during option processing\n");
  });
});

describe('ctm diff', () => {
  it('makes a delta from OLD to NEW that ctm applies; the same trees give exit 4', async () => {
    const old = join(dir, 'old');
    const neu = join(dir, 'new');
    write(old, {
      'keep.txt': 'same\n',
      'edit.txt': `${'line\n'.repeat(50)}`,
      'gone.txt': 'bye\n',
      'sub/deep.txt': 'd\n',
    });
    write(neu, {
      'keep.txt': 'same\n',
      'edit.txt': `${'line\n'.repeat(25)}middle\n${'line\n'.repeat(25)}`,
      'new/n.txt': 'n\n',
    });
    const made = await ctm(
      ['diff', old, neu, 'src-cur', '7', '-o', join(dir, 'src-cur.0007.gz'), '-d', '20250101000000Z'],
      dir,
    );
    expect(made).toMatchObject({ code: 0, stderr: expect.stringContaining('wrote') });
    const run = await ctm(['-q', join(dir, 'src-cur.0007.gz')], old);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(read(join(old, 'edit.txt'))).toBe(read(join(neu, 'edit.txt')));
    expect(read(join(old, 'new/n.txt'))).toBe('n\n');
    expect(statSync(join(old, 'sub'), { throwIfNoEntry: false })).toBeUndefined();
    expect(read(join(old, '.ctm_status'))).toBe('src-cur 7\n');
    const list = await ctm(['-l', '-q', join(dir, 'src-cur.0007.gz')], old);
    expect(list.stdout).toContain('> FN edit.txt\n');
    const same = await ctm(['diff', neu, neu, 'src-cur', '8', '-o', join(dir, 'x.gz')], dir);
    expect(same).toMatchObject({ code: 4, stderr: 'ctm diff: no changes\n' });
    expect(statSync(join(dir, 'x.gz'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('explains its usage', async () => {
    const run = await ctm(['diff', 'only-one'], dir);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: ctm diff') });
  });
});

describe('ctm with a delta that is not there', () => {
  it('says so as warn(3) would and exits 1', async () => {
    const run = await ctm(['-q', join(dir, 'nope.gz')], tree);
    expect(run).toMatchObject({
      code: 1,
      stderr: `ctm: ${join(dir, 'nope.gz')}: No such file or directory\n`,
    });
  });
});
