import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, randomBytes, tool } from './_support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-rmail-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** ctm_smail --mbox: the delta's pieces appended to `mbox`. */
async function mailDelta(name: string, data: Buffer, m: number, mbox = join(dir, 'mbox')) {
  writeFileSync(join(dir, name), data);
  const r = await tool('ctm_smail', [`-m${m}`, '--mbox', mbox, join(dir, name), 'ctm-list']);
  expect(r.code).toBe(0);
  rmSync(join(dir, name));
}

function dirs() {
  for (const d of ['pieces', 'deltas', 'tree']) mkdirSync(join(dir, d), { recursive: true });
  return ['-p', join(dir, 'pieces'), '-d', join(dir, 'deltas')];
}

describe('ctm_rmail', () => {
  it('rebuilds a delta from an mbox: "stored" for each piece, then "complete", exit 0', async () => {
    const data = randomBytes(10_000, 3);
    await mailDelta('src-cur.0007.gz', data, 3000);
    const r = await tool('ctm_rmail', [...dirs(), join(dir, 'mbox')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `${[1, 2, 3, 4, 5].map((p) => `ctm_rmail: src-cur.0007.gz ${p}/5 stored\n`).join('')}ctm_rmail: src-cur.0007.gz complete\n`,
    );
    expect(readFileSync(join(dir, 'deltas/src-cur.0007.gz'))).toEqual(data);
    expect(readdirSync(join(dir, 'pieces'))).toEqual([]);
  });

  it('reads stdin, single messages and Maildir directories', async () => {
    const data = randomBytes(3000, 4);
    await mailDelta('a.gz', data, 1000);
    const messages = readFileSync(join(dir, 'mbox'), 'latin1')
      .split(/^From .*\n/m)
      .filter(Boolean);
    mkdirSync(join(dir, 'Maildir/new'), { recursive: true });
    mkdirSync(join(dir, 'Maildir/cur'));
    for (const [i, m] of messages.slice(1).entries()) writeFileSync(join(dir, `Maildir/new/${i}.host`), m);
    const viaStdin = await tool('ctm_rmail', dirs(), { input: messages[0] });
    expect(viaStdin).toMatchObject({ code: 0, stderr: 'ctm_rmail: a.gz 1/5 stored\n' });
    const viaMaildir = await tool('ctm_rmail', [...dirs(), join(dir, 'Maildir')]);
    expect(viaMaildir.code).toBe(0);
    expect(viaMaildir.stderr).toMatch(/a\.gz 5\/5 stored\nctm_rmail: a\.gz complete\n$/);
    expect(readFileSync(join(dir, 'deltas/a.gz'))).toEqual(data);
  });

  it('says "message contains no delta" and exits 1 for mail without a piece', async () => {
    const r = await tool('ctm_rmail', dirs(), { input: 'From: someone\nSubject: hello\n\nno pieces here\n' });
    expect(r).toMatchObject({ code: 1, stderr: 'ctm_rmail: message contains no delta\n' });
  });

  it('rejects corrupted and truncated pieces with the original messages and exit 1, keeping good ones', async () => {
    await mailDelta('b.gz', randomBytes(2000, 5), 1000);
    const text = readFileSync(join(dir, 'mbox'), 'latin1');
    const lines = text.split('\n');
    const data = lines.findIndex((l) => l.startsWith('CTM_MAIL BEGIN')) + 2;
    lines[data] = `${lines[data]!.slice(0, 10)}*${lines[data]!.slice(11)}`;
    const broken = lines.join('\n');
    const r = await tool('ctm_rmail', dirs(), { input: broken.slice(0, broken.lastIndexOf('CTM_MAIL END')) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ctm_rmail: line ${data + 1}: illegal character: '*'\nctm_rmail: b.gz 1/3 discarded\n` +
        'ctm_rmail: b.gz 2/3 stored\nctm_rmail: truncated file\nctm_rmail: b.gz 3/3 discarded\n',
    );
    expect(readdirSync(join(dir, 'pieces'))).toEqual(['b.gz+002-003']);
  });

  it('logs to -l as "YYYY-MM-DD HH:MM message"', async () => {
    await mailDelta('c.gz', randomBytes(100), 64000);
    const r = await tool('ctm_rmail', ['-l', join(dir, 'log'), ...dirs(), join(dir, 'mbox')]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'log'), 'utf8')).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d c\.gz 1\/1 stored\n\d{4}-\d\d-\d\d \d\d:\d\d c\.gz complete\n$/,
    );
  });

  describe('-b', () => {
    /** A stand-in ctm: prints its arguments and directory; fails for deltas whose name holds "bad". */
    function fakeCtm(): string {
      const path = join(dir, 'fake-ctm');
      writeFileSync(
        path,
        '#!/bin/sh\necho "args: $*"\necho "in: $(pwd)" >&2\ncase "$*" in *bad*) exit 2;; esac\nexit 0\n',
      );
      chmodSync(path, 0o755);
      return path;
    }

    it('applies the deltas that follow .ctm_status in order, as `ctm [-u] [-v] DELTA` in the tree', async () => {
      const ctm = fakeCtm();
      dirs();
      writeFileSync(join(dir, 'tree/.ctm_status'), 'src-cur 1\n');
      for (const n of ['0002', '0003', '0005']) writeFileSync(join(dir, `deltas/src-cur.${n}.gz`), 'x');
      const r = await tool('ctm_rmail', [
        '-uv',
        '--ctm',
        ctm,
        '-d',
        join(dir, 'deltas'),
        '-b',
        join(dir, 'tree'),
      ]);
      expect(r.code).toBe(0);
      const d = join(dir, 'deltas');
      const t = join(dir, 'tree');
      expect(r.stderr).toBe(
        `ctm_rmail: ctm: args: -u -v ${d}/src-cur.0002.gz\nctm_rmail: ctm: in: ${t}\nctm_rmail: src-cur.0002.gz applied\n` +
          `ctm_rmail: ctm: args: -u -v ${d}/src-cur.0003.gz\nctm_rmail: ctm: in: ${t}\nctm_rmail: src-cur.0003.gz applied\n`,
      );
    });

    it('with -D deletes what it applied; a failure stops it, is logged, and does not change the exit status', async () => {
      const ctm = fakeCtm();
      dirs();
      writeFileSync(join(dir, 'tree/.ctm_status'), 'bad 0\n');
      writeFileSync(join(dir, 'deltas/bad.0001.gz'), 'x');
      const failed = await tool('ctm_rmail', ['-D', '-d', join(dir, 'deltas'), '-b', join(dir, 'tree')], {
        env: { CTM: ctm },
      });
      expect(failed.code).toBe(0);
      expect(failed.stderr).toMatch(/ctm_rmail: ctm failed to apply bad\.0001\.gz\n$/);
      expect(readdirSync(join(dir, 'deltas'))).toEqual(['bad.0001.gz']);
      writeFileSync(join(dir, 'tree/.ctm_status'), 'good 0\n');
      writeFileSync(join(dir, 'deltas/good.0001.gz'), 'x');
      const ok = await tool('ctm_rmail', [
        '-D',
        '--ctm',
        ctm,
        '-d',
        join(dir, 'deltas'),
        '-b',
        join(dir, 'tree'),
      ]);
      expect(ok.stderr).toMatch(/ctm_rmail: good\.0001\.gz applied and deleted\n$/);
      expect(readdirSync(join(dir, 'deltas')).sort()).toEqual(['bad.0001.gz']);
    });

    it('with -f applies in the background and answers at once', async () => {
      const ctm = join(dir, 'slow-ctm');
      writeFileSync(ctm, '#!/bin/sh\nsleep 1\necho done\n');
      chmodSync(ctm, 0o755);
      await mailDelta('s.0001.gz', randomBytes(100), 64000);
      dirs();
      writeFileSync(join(dir, 'tree/.ctm_status'), 's 0\n');
      const started = Date.now();
      const r = await tool('ctm_rmail', [
        '-f',
        '--ctm',
        ctm,
        '-l',
        join(dir, 'log'),
        ...dirs(),
        '-b',
        join(dir, 'tree'),
        join(dir, 'mbox'),
      ]);
      expect(r.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      for (let i = 0; i < 100 && !readFileSync(join(dir, 'log'), 'utf8').includes('applied'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(readFileSync(join(dir, 'log'), 'utf8')).toMatch(
        / s\.0001\.gz complete\n.* ctm: done\n.* s\.0001\.gz applied\n$/,
      );
    });

    it("runs the suite's own ctm by default, spawned with this Node", async () => {
      dirs();
      writeFileSync(join(dir, 'tree/.ctm_status'), 'x 0\n');
      writeFileSync(join(dir, 'deltas/x.0001.gz'), 'not a delta');
      const r = await tool('ctm_rmail', ['-d', join(dir, 'deltas'), '-b', join(dir, 'tree')], {
        env: { CTM: '' },
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^ctm_rmail: ctm: /m);
      expect(r.stderr).toMatch(/ctm_rmail: ctm failed to apply x\.0001\.gz\n$/);
    });
  });

  it('refuses bad input clearly with exit 1 and creates nothing', async () => {
    dirs();
    writeFileSync(join(dir, 'file'), '');
    const p = join(dir, 'pieces');
    const d = join(dir, 'deltas');
    const cases: [string[], RegExp][] = [
      [
        ['-p', p, '-d', join(dir, 'nope'), join(dir, 'file')],
        /delta directory '.*nope': No such file or directory/,
      ],
      [
        ['-p', join(dir, 'nope'), '-d', d, join(dir, 'file')],
        /piece directory '.*nope': No such file or directory/,
      ],
      [['-p', join(dir, 'file'), '-d', d, join(dir, 'file')], /piece directory '.*file': Not a directory/],
      [['-p', p, '-d', d, join(dir, 'missing')], /^ctm_rmail: cannot open '.*missing' for reading\n$/],
      [
        ['-p', p, join(dir, 'file')],
        /^usage: ctm_rmail \[-Dfuv\] \[-p piecedir\] \[-d deltadir\] \[-b basedir\] \[-l log\] \[file \.\.\.\]/,
      ],
      [['-d', d, '-b', join(dir, 'tree'), join(dir, 'file')], /^usage: ctm_rmail /],
    ];
    for (const [args, message] of cases) {
      const r = await tool('ctm_rmail', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(readdirSync(dir).sort()).toEqual(['deltas', 'file', 'pieces', 'tree']);
  });

  it('finishes the work of a run killed with -9: takes over its lock, rebuilds, removes its temporaries', async () => {
    const data = randomBytes(4000, 6);
    await mailDelta('k.0001.gz', data, 1000);
    const messages = readFileSync(join(dir, 'mbox'), 'latin1').split(/^(?=From )/m);
    const args = dirs();
    // The first run stores a piece, then holds the build lock waiting for more input: kill it there.
    const child = spawn(process.execPath, [bin('ctm_rmail'), ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.write(messages.slice(0, 3).join(''));
    for (let i = 0; i < 200 && !stderr.includes('3/6 stored'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain('3/6 stored');
    writeFileSync(join(dir, 'pieces/.p.999999.1'), 'half a piece');
    writeFileSync(join(dir, 'deltas/.d.999999.1'), 'half a delta');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(readdirSync(join(dir, 'deltas')).some((f) => f.startsWith('.mutex_build'))).toBe(true);
    const r = await tool('ctm_rmail', args, { input: messages.slice(3).join('') });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/k\.0001\.gz complete\n$/);
    expect(readFileSync(join(dir, 'deltas/k.0001.gz'))).toEqual(data);
    expect(readdirSync(join(dir, 'pieces'))).toEqual([]);
    expect(
      readdirSync(join(dir, 'deltas')).filter((f) => !f.startsWith('.mutex') && f !== '.rebuilt'),
    ).toEqual(['k.0001.gz']);
  });
});
