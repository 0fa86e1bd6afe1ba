import { describe, expect, it } from 'vitest';
import {
  applyDelta,
  applyEdits,
  CtmError,
  CtmExit,
  diffN,
  MemoryTree,
  makeDelta,
  md5Hex,
  parseDiffN,
  parseEdScript,
  portableMd5,
  readDelta,
} from '../src/delta/index.js';
import { bytes, collect, crashingAfter, encode, handDelta, md5, text } from './delta-helpers.js';

const quiet = { verbose: 0 };

describe('portable MD5', () => {
  it('gives the RFC 1321 answers and agrees with node:crypto on odd lengths', () => {
    expect(md5Hex(bytes(''))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex(bytes('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
    for (const n of [55, 56, 63, 64, 65, 1000, 100_003]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
      const h = portableMd5();
      h.update(data.subarray(0, 17));
      h.update(data.subarray(17));
      expect(h.hex()).toBe(md5(data));
    }
  });
});

describe('edit engine', () => {
  const file = bytes('one\ntwo\nthree\nfour\n');
  it('applies a diff -n script (delete then add, numbered in the old file)', () => {
    const out = applyEdits(file, parseDiffN(bytes('d2 1\na3 2\nTHREE+\nmore\na4 1\nfive\n')));
    expect(text(out)).toBe('one\nthree\nTHREE+\nmore\nfour\nfive\n');
  });
  it('applies the ed script diff -e would write for the same change', () => {
    const ed = bytes('4a\nfive\n.\n3a\nTHREE+\nmore\n.\n2d\n');
    expect(text(applyEdits(file, parseEdScript(ed)))).toBe('one\nthree\nTHREE+\nmore\nfour\nfive\n');
    expect(text(applyEdits(file, parseEdScript(bytes('2,3c\nTWO\n.\n'))))).toBe('one\nTWO\nfour\n');
  });
  it('refuses a script that runs past the end or goes backwards', () => {
    expect(() => applyEdits(file, parseDiffN(bytes('d5 1\n')))).toThrow(CtmError);
    expect(() => parseDiffN(bytes('d3 1\nd1 1\n'))).toThrow(/out of order/);
    expect(() => parseDiffN(bytes('a1 2\nonly-one\n'))).toThrow(/short/);
  });
  it('diffN makes scripts that turn the old file into the new one', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: rnd(30) }, () => `l${rnd(8)}\n`);
      const b = a.filter(() => rnd(4) > 0).flatMap((l) => (rnd(5) === 0 ? [l, `n${rnd(8)}\n`] : [l]));
      if (rnd(3) === 0) b.unshift('first\n');
      const script = diffN(bytes(a.join('')), bytes(b.join('')))!;
      expect(text(applyEdits(bytes(a.join('')), parseDiffN(script)))).toBe(b.join(''));
    }
    expect(diffN(bytes('no newline'), bytes('x\n'))).toBeUndefined();
    expect(diffN(bytes('a\0\n'), bytes('x\n'))).toBeUndefined();
  });
});

describe('a delta written by hand as the original mkctm writes them', () => {
  const old = () =>
    new MemoryTree({
      '.ctm_status': 'test 0\n',
      'b.txt': 'one\ntwo\nthree\n',
      'c.txt': 'gone\n',
      'old/': null,
    });
  const body = [
    `CTMDM sub 0 0 755\n`,
    `CTMFM sub/a.txt 1001 1001 644 ${md5('hello\n')} 6\nhello\n\n`,
    `CTMFN b.txt 0 0 644 ${md5('one\ntwo\nthree\n')} ${md5('one\nthree\n3+\n')} 13\nd2 1\na3 1\n3+\n\n`,
    `CTMFR c.txt ${md5('gone\n')}\n`,
    `CTMDR old\n`,
    `CTMFS .ctm_status 0 0 644 ${md5('test 0\n')} ${md5('test 1\n')} 7\ntest 1\n\n`,
  ].join('');

  it('applies, and our writer writes the same bytes for the same records', async () => {
    const delta = handDelta(body);
    const tree = old();
    const result = await applyDelta(() => [delta], tree, quiet);
    expect(result).toMatchObject({ outcome: 'applied', status: 0, changed: 6 });
    expect(tree.snapshot()).toEqual({
      '.ctm_status': 'test 1\n',
      'b.txt': 'one\nthree\n3+\n',
      'sub/': '',
      'sub/a.txt': 'hello\n',
    });
    const records = [];
    for await (const item of readDelta([delta])) if (item.kind === 'record') records.push(item.record);
    expect(Buffer.from(await encode(records)).equals(Buffer.from(delta))).toBe(true);
  });

  it('streams: the delta cut into 1-byte chunks parses the same', async () => {
    const delta = handDelta(body);
    const tree = old();
    const oneByOne = () => Array.from(delta, (b) => Uint8Array.of(b));
    expect(await applyDelta(oneByOne, tree, quiet)).toMatchObject({ outcome: 'applied' });
  });

  it('skips a delta whose number is not above .ctm_status as already applied', async () => {
    const tree = new MemoryTree({ '.ctm_status': 'test 1\n' });
    const lines: string[] = [];
    const result = await applyDelta(() => [handDelta(body)], tree, { report: (l) => lines.push(l) });
    expect(result).toMatchObject({ outcome: 'already-applied', status: 0 });
    expect(lines).toContain('Delta number 1 is already applied; ignoring.');
  });

  it('reports the passes as ctm(1) does, and lists with -l', async () => {
    const lines: string[] = [];
    const listed: string[] = [];
    await applyDelta(() => [handDelta(body)], old(), { list: true, output: (l) => listed.push(l) });
    expect(listed).toEqual([
      '> DM sub',
      '> FM sub/a.txt',
      '> FN b.txt',
      '> FR c.txt',
      '> DR old',
      '> FS .ctm_status',
    ]);
    await applyDelta(() => [handDelta(body)], old(), { report: (l) => lines.push(l) });
    expect(lines.at(-2)).toBe('> FS .ctm_status');
    expect(lines.at(-1)).toBe('All done ok');
  });
});

describe('refusals: nothing changes', () => {
  const base = { '.ctm_status': 'test 0\n', 'a.txt': 'alpha\n', 'b.txt': 'beta\n' };
  const body = [
    `CTMFS a.txt 0 0 644 ${md5('alpha\n')} ${md5('ALPHA\n')} 6\nALPHA\n\n`,
    `CTMFR b.txt ${md5('beta\n')}\n`,
    `CTMFM c.txt 0 0 644 ${md5('new\n')} 4\nnew\n\n`,
  ].join('');
  const refused = async (tree: MemoryTree, delta = handDelta(body), options = {}) => {
    const before = tree.snapshot();
    const lines: string[] = [];
    const result = await applyDelta(() => [delta], tree, { report: (l) => lines.push(l), ...options });
    expect(result.outcome).toBe('refused');
    expect(tree.snapshot()).toEqual(before);
    return { result, lines };
  };

  it('a wrong before-MD5 (FS: forcible, 16)', async () => {
    const { result, lines } = await refused(new MemoryTree({ ...base, 'a.txt': 'changed locally\n' }));
    expect(result.status).toBe(CtmExit.Forcible);
    expect(lines).toEqual(['  FS: a.txt md5 mismatch.', '  Could have forced.']);
  });
  it('a missing file (8)', async () => {
    const { result, lines } = await refused(new MemoryTree({ '.ctm_status': 'test 0\n', 'b.txt': 'beta\n' }));
    expect(result.status).toBe(CtmExit.NotOK);
    expect(lines).toContain("  FS: a.txt doesn't exist.");
  });
  it('an extra file in the way (16)', async () => {
    const { result, lines } = await refused(new MemoryTree({ ...base, 'c.txt': 'mine\n' }));
    expect(result.status).toBe(CtmExit.Forcible);
    expect(lines).toContain('  FM: c.txt exists.');
  });
  it('-F forces the forcible ones', async () => {
    const tree = new MemoryTree({ ...base, 'c.txt': 'mine\n' });
    expect(await applyDelta(() => [handDelta(body)], tree, { force: true, verbose: 0 })).toMatchObject({
      status: 0,
    });
    expect(tree.snapshot()['c.txt']).toBe('new\n');
  });
  it('any byte of the delta flipped', async () => {
    const good = handDelta(body);
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] = bad[i]! ^ 0x04;
      const tree = new MemoryTree(base);
      const result = await applyDelta(() => [bad], tree, quiet);
      expect(result.outcome, `byte ${i}`).toBe('refused');
      expect(tree.snapshot()).toEqual(new MemoryTree(base).snapshot());
    }
  });
  it.each([
    ['/etc/passwd', 'Absolute paths are illegal.'],
    ['../escape', "Paths containing '..' are illegal."],
    ['a/../../x', "Paths containing '..' are illegal."],
    ['a//b', "'//'"],
    ['./a', "'.'"],
  ])('a hostile name %s', async (name, why) => {
    const evil = handDelta(`${body}CTMFM ${name} 0 0 644 ${md5('x\n')} 2\nx\n\n`);
    const { result, lines } = await refused(new MemoryTree(base), evil);
    expect(result.status).toBe(CtmExit.Mess);
    expect(lines.join('\n')).toContain(why);
  });
  it('a name that goes through a symlink', async () => {
    const tree = new MemoryTree(base);
    tree.symlink('link', '/tmp');
    const evil = handDelta(`${body}CTMFM link/x 0 0 644 ${md5('x\n')} 2\nx\n\n`);
    const { result, lines } = await refused(tree, evil);
    expect(result.status & CtmExit.Mess).toBeTruthy();
    expect(lines).toContain('  FM: link/x: refused: link is a symlink.');
  });
  it('-c checks only', async () => {
    const tree = new MemoryTree(base);
    expect(await applyDelta(() => [handDelta(body)], tree, { check: true, verbose: 0 })).toMatchObject({
      outcome: 'checked',
      status: 0,
    });
    expect(tree.snapshot()).toEqual(new MemoryTree(base).snapshot());
  });
});

describe('filters, -k and -u', () => {
  const body = [
    `CTMFM lib/x.c 0 0 644 ${md5('x\n')} 2\nx\n\n`,
    `CTMFM bin/y.c 0 0 755 ${md5('y\n')} 2\ny\n\n`,
    `CTMFR old.c ${md5('old\n')}\n`,
  ].join('');
  it('-e includes, -x excludes, the last match wins', async () => {
    const tree = new MemoryTree({ 'old.c': 'old\n' });
    const filters = [
      { include: true, pattern: /^lib/ },
      { include: true, pattern: /^bin/ },
      { include: false, pattern: /y\.c$/ },
    ];
    await applyDelta(() => [handDelta(body)], tree, { filters, verbose: 0 });
    expect(tree.snapshot()).toEqual({ 'lib/': '', 'lib/x.c': 'x\n', 'old.c': 'old\n' });
  });
  it('-k keeps what the delta removes; -u dates what it makes', async () => {
    const tree = new MemoryTree({ 'old.c': 'old\n' });
    await applyDelta(() => [handDelta(body)], tree, { keep: true, setTimes: true, verbose: 0 });
    expect(tree.snapshot()['old.c']).toBe('old\n');
    expect(tree.mtime('lib/x.c')?.toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(tree.lstat('bin/y.c')?.mode).toBe(0o755);
  });
});

describe('round trips and crashes', () => {
  function randomTree(seed: number): Record<string, string | Uint8Array | null> {
    let s = seed;
    const rnd = (n: number) => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s % n;
    };
    const files: Record<string, string | Uint8Array | null> = {};
    for (let i = 0; i < 25; i++) {
      const dir = ['', 'd1/', 'd2/', 'd1/e/', 'x/'][rnd(5)]!;
      const name = `${dir}f${rnd(12)}`;
      if (rnd(6) === 0) files[name] = Uint8Array.from({ length: rnd(300) }, () => rnd(256));
      else files[name] = Array.from({ length: rnd(20) }, () => `line ${rnd(10)}\n`).join('');
    }
    if (rnd(2)) files['empty/'] = null;
    return files;
  }
  // Files that clash with directories of the same name are dropped by MemoryTree: keep the first kind.
  function tree(files: Record<string, string | Uint8Array | null>): MemoryTree {
    const t = new MemoryTree();
    for (const [name, content] of Object.entries(files)) {
      try {
        if (content === null) t.makeDir(name.slice(0, -1));
        else
          t.writeFile(name, typeof content === 'string' ? new TextEncoder().encode(content) : content, 0o644);
      } catch {}
    }
    return t;
  }

  it('random trees: diff, apply to the old tree, get the new one', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const before = tree(randomTree(seed));
      const after = tree(randomTree(seed + 1000));
      const delta = await collect(makeDelta(before, after, { name: 'rt', number: seed, date: new Date(0) }));
      const result = await applyDelta(() => [delta], before, quiet);
      expect(result, `seed ${seed}`).toMatchObject({ outcome: 'applied', status: 0 });
      expect(before.snapshot()).toEqual({ ...after.snapshot(), '.ctm_status': `rt ${seed}\n` });
    }
  });

  it('a crash before any change of pass 3, then a rerun: identical to NEW', async () => {
    const files = randomTree(5);
    const target = tree(randomTree(6));
    const delta = await collect(makeDelta(tree(files), target, { name: 'rt', number: 2, date: new Date(0) }));
    for (let limit = 0; ; limit++) {
      const t = tree(files);
      const first = await applyDelta(() => [delta], crashingAfter(t, limit), quiet);
      if (first.outcome === 'applied') break;
      expect(first.outcome).toBe('failed');
      const rerun = await applyDelta(() => [delta], t, quiet);
      // A crash after `.ctm_status` was written leaves only the journal: the rerun sees the number and clears it.
      expect(rerun.status, `crash after ${limit} changes`).toBe(0);
      expect(['applied', 'already-applied']).toContain(rerun.outcome);
      expect(t.snapshot()).toEqual({ ...target.snapshot(), '.ctm_status': 'rt 2\n' });
    }
  });

  it('refuses to make an empty delta', async () => {
    const t = tree(randomTree(3));
    await expect(
      collect(makeDelta(t, t, { name: 'rt', number: 1, date: new Date(0) })),
    ).rejects.toMatchObject({
      code: 'ENOCHANGE',
    });
  });
});

describe('records beyond mkctm: type changes, FE, AS', () => {
  it('a file that becomes a directory and a directory that becomes a file', async () => {
    const before = new MemoryTree({ x: 'was a file\n', 'y/inner': 'in a dir\n', 'y/deeper/z': 'z\n' });
    const after = new MemoryTree({ 'x/now': 'a dir\n', y: 'now a file\n' });
    const delta = await collect(makeDelta(before, after, { name: 't', number: 1, date: new Date(0) }));
    expect(await applyDelta(() => [delta], before, quiet)).toMatchObject({ outcome: 'applied', status: 0 });
    expect(before.snapshot()).toEqual({ ...after.snapshot(), '.ctm_status': 't 1\n' });
  });
  it('applies an FE (ed script) record and an AS (mode) record', async () => {
    const tree = new MemoryTree({ 'f.txt': 'one\ntwo\nthree\n' });
    const delta = handDelta(
      [
        `CTMFE f.txt 0 0 644 ${md5('one\ntwo\nthree\n')} ${md5('one\n2\nthree\nfour\n')} 17\n3a\nfour\n.\n2c\n2\n.\n\n`,
        `CTMAS f.txt 0 0 600\n`,
      ].join(''),
    );
    expect(await applyDelta(() => [delta], tree, quiet)).toMatchObject({ outcome: 'applied', status: 0 });
    expect(tree.snapshot()['f.txt']).toBe('one\n2\nthree\nfour\n');
    expect(tree.lstat('f.txt')?.mode).toBe(0o600);
  });
  it('a wrong after-MD5 of an edit is refused in pass 2 with nothing changed', async () => {
    const tree = new MemoryTree({ 'f.txt': 'one\n', 'g.txt': 'g\n' });
    const delta = handDelta(
      [
        `CTMFR g.txt ${md5('g\n')}\n`,
        `CTMFN f.txt 0 0 644 ${md5('one\n')} ${md5('not what the edit gives\n')} 7\na1 1\nb\n\n`,
      ].join(''),
    );
    expect(await applyDelta(() => [delta], tree, quiet)).toMatchObject({
      outcome: 'refused',
      status: CtmExit.Mess,
    });
    expect(tree.snapshot()).toEqual({ 'f.txt': 'one\n', 'g.txt': 'g\n' });
  });
});

describe('pass 3 with several records in flight', () => {
  /** A tree whose changes finish after random short delays, in any order. */
  function slow(tree: MemoryTree): MemoryTree {
    let s = 99;
    const delay = () => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return new Promise((r) => setTimeout(r, s % 3));
    };
    const mutating = new Set(['writeFile', 'remove', 'makeDir', 'removeDir', 'setMode', 'setTime']);
    return new Proxy(tree, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (!mutating.has(String(prop))) return value.bind(target);
        return async (...args: unknown[]) => {
          await delay();
          return value.apply(target, args);
        };
      },
    });
  }

  it('gives the same tree as one at a time, directories made before and removed after their files', async () => {
    const files = (tag: string) =>
      Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`d${i % 6}/f${i}`, `${tag} ${i % 7}\n`]));
    const before = new MemoryTree({ ...files('old'), 'gone/a': 'a\n', 'gone/b/c': 'c\n' });
    const after = new MemoryTree({ ...files('new'), 'fresh/x/y': 'y\n', 'fresh/z': 'z\n' });
    const delta = await collect(makeDelta(before, after, { name: 'c', number: 1, date: new Date(0) }));
    const result = await applyDelta(() => [delta], slow(before), { ...quiet, concurrency: 8 });
    expect(result).toMatchObject({ outcome: 'applied', status: 0 });
    expect(before.snapshot()).toEqual({ ...after.snapshot(), '.ctm_status': 'c 1\n' });
  });
});
