import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
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
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyDeltaFile, deltaBytesSource, NodeTree, nodeMd5, writeDeltaFile } from '../src/node/delta.js';
import { handDelta, md5 } from './delta-helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-node-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every file and directory below `root` with content and permission bits: two equal trees give equal values. */
export function listing(root: string, skip = new Set(['.ctm_status'])): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (!rel && skip.has(name)) continue;
      const st = statSync(join(root, path));
      if (st.isDirectory()) {
        out[`${path}/`] = '';
        walk(path);
      } else out[path] = `${(st.mode & 0o777).toString(8)} ${md5(readFileSync(join(root, path)))}`;
    }
  };
  walk('');
  return out;
}

function write(root: string, files: Record<string, string | Buffer>, mode = 0o644): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
    chmodSync(join(root, name), mode);
  }
}

describe('deltas on node:fs', () => {
  it('round trip: random trees → writeDeltaFile (gzip) → applyDeltaFile gives the new tree, modes included', async () => {
    for (let round = 0; round < 5; round++) {
      const old = join(dir, `old${round}`);
      const neu = join(dir, `new${round}`);
      let s = round + 11;
      const rnd = (n: number) => {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        return s % n;
      };
      for (const root of [old, neu]) {
        mkdirSync(root);
        for (let i = 0; i < 30; i++) {
          const name = `${['', 'a/', 'a/b/', 'c/'][rnd(4)]}f${rnd(15)}`;
          const content =
            rnd(5) === 0
              ? Buffer.from(Array.from({ length: rnd(500) }, () => rnd(256)))
              : Array.from({ length: rnd(40) }, () => `line ${rnd(6)}\n`).join('');
          // Like mkctm, a delta carries a mode with new content only: keep modes a function of the name.
          write(root, { [name]: content }, name.endsWith('3') ? 0o755 : 0o644);
        }
      }
      const delta = join(dir, `r.${round}.gz`);
      await writeDeltaFile(old, neu, delta, { name: 'rt', number: round + 1, date: new Date() });
      expect(gunzipSync(readFileSync(delta)).subarray(0, 14).toString()).toBe('CTM_BEGIN 2.0 ');
      const result = await applyDeltaFile(delta, old, { verbose: 0 });
      expect(result).toMatchObject({ outcome: 'applied', status: 0 });
      expect(listing(old)).toEqual(listing(neu));
      expect(readFileSync(join(old, '.ctm_status'), 'utf8')).toBe(`rt ${round + 1}\n`);
      expect(readdirSync(old).filter((n) => n.startsWith('.ctm_applying') || n.endsWith('.ctmtmp'))).toEqual(
        [],
      );
    }
  });

  it('refuses a name that resolves outside the tree through a symlink, and writes nothing there', async () => {
    const tree = join(dir, 'tree');
    const outside = join(dir, 'outside');
    mkdirSync(tree);
    mkdirSync(outside);
    symlinkSync(outside, join(tree, 'link'));
    const delta = join(dir, 'evil');
    writeFileSync(delta, handDelta(`CTMFM link/owned 0 0 644 ${md5('x\n')} 2\nx\n\n`));
    const lines: string[] = [];
    const result = await applyDeltaFile(delta, tree, { report: (l) => lines.push(l) });
    expect(result.outcome).toBe('refused');
    expect(lines).toContain('  FM: link/owned: refused: link is a symlink.');
    expect(readdirSync(outside)).toEqual([]);
  });

  it('agrees with md5(1) and gzip(1): a delta gzipped by the system applies', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    const plain = join(dir, 'd');
    writeFileSync(plain, handDelta(`CTMFM hello 0 0 600 ${md5('hi\n')} 3\nhi\n\n`));
    execFileSync('gzip', ['-9', plain]);
    expect(await applyDeltaFile(`${plain}.gz`, tree, { verbose: 0 })).toMatchObject({ status: 0 });
    expect(readFileSync(join(tree, 'hello'), 'utf8')).toBe('hi\n');
    expect(statSync(join(tree, 'hello')).mode & 0o777).toBe(0o600);
  });

  it('NodeTree writes through NAME.ctmtmp and leaves no temporary behind', () => {
    const t = new NodeTree(dir);
    t.writeFile('deep/er/file', new TextEncoder().encode('x'), 0o640);
    expect(readFileSync(join(dir, 'deep/er/file'), 'utf8')).toBe('x');
    expect(existsSync(join(dir, 'deep/er/file.ctmtmp'))).toBe(false);
    const h = nodeMd5();
    h.update(new TextEncoder().encode('abc'));
    expect(h.hex()).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect([...(deltaBytesSource(new Uint8Array([7]))() as Iterable<Uint8Array>)]).toEqual([
      new Uint8Array([7]),
    ]);
  });
});

describe('NodeTree with io: async', () => {
  it('applies with concurrency 8 to the same result', async () => {
    const old = join(dir, 'old');
    const neu = join(dir, 'new');
    for (let i = 0; i < 200; i++) {
      write(old, { [`d${i % 9}/f${i}`]: `old ${i}\n${'x\n'.repeat(i % 13)}` });
      if (i % 5) write(neu, { [`d${i % 9}/f${i}`]: `new ${i}\n${'x\n'.repeat(i % 13)}` });
    }
    write(neu, { 'added/deep/n': 'n\n' });
    await writeDeltaFile(old, neu, join(dir, 'p.gz'), { name: 'p', number: 1, date: new Date() });
    const result = await applyDeltaFile(join(dir, 'p.gz'), old, { verbose: 0, io: 'async', concurrency: 8 });
    expect(result).toMatchObject({ outcome: 'applied', status: 0 });
    expect(listing(old)).toEqual(listing(neu));
  });
});

describe('a symlink left at NAME.ctmtmp', () => {
  it('is replaced, never written through', async () => {
    const tree = join(dir, 'tree');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    write(tree, { 'a.txt': 'alpha\n' });
    symlinkSync(victim, join(tree, 'a.txt.ctmtmp'));
    writeFileSync(
      join(dir, 'd'),
      handDelta(`CTMFS a.txt 0 0 644 ${md5('alpha\n')} ${md5('ALPHA\n')} 6\nALPHA\n\n`),
    );
    expect(await applyDeltaFile(join(dir, 'd'), tree, { verbose: 0 })).toMatchObject({ status: 0 });
    expect(readFileSync(join(tree, 'a.txt'), 'utf8')).toBe('ALPHA\n');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    // Run again: the file already has its after-MD5, so the record is skipped.
    expect(await applyDeltaFile(join(dir, 'd'), tree, { verbose: 0 })).toMatchObject({
      status: 0,
      skipped: 1,
      changed: 0,
    });
  });
});

describe('a damaged gzip delta', () => {
  it('is refused as a bad delta (1) with nothing changed', async () => {
    const tree = join(dir, 'tree');
    write(tree, { 'a.txt': 'alpha\n' });
    const good = gzipSync(handDelta(`CTMFS a.txt 0 0 644 ${md5('alpha\n')} ${md5('ALPHA\n')} 6\nALPHA\n\n`));
    for (const at of [12, Math.floor(good.length / 2), good.length - 6]) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x10;
      writeFileSync(join(dir, 'bad.gz'), bad);
      const result = await applyDeltaFile(join(dir, 'bad.gz'), tree, { verbose: 0 });
      expect(result, `byte ${at}`).toMatchObject({ outcome: 'refused', status: 1 });
      expect(readFileSync(join(tree, 'a.txt'), 'utf8')).toBe('alpha\n');
    }
  });
});
