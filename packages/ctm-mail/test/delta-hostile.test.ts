// The ctm(5) engine and its node tree against hostile input: links never followed, data streamed, bytes kept.
import {
  chmodSync,
  lstatSync,
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
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyDelta, CtmExit, MemoryTree, readDelta } from '../src/delta/index.js';
import { PieceScanner } from '../src/index.js';
import { NodeTree } from '../src/node/delta.js';
import { bytes, handDelta, md5 } from './delta-helpers.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ctm-hostile-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('NodeTree never follows a symlink at the name it changes', () => {
  it('setMode and setTime on a symlink fail with ELOOP and leave its target alone', () => {
    const target = join(root, 'target');
    writeFileSync(target, 'x');
    chmodSync(target, 0o600);
    symlinkSync(target, join(root, 'link'));
    const tree = new NodeTree(root);
    expect(() => tree.setMode('link', 0o666)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(() => tree.setTime('link', new Date(0))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(statSync(target).mtimeMs).not.toBe(0);
  });

  it('setMode and setTime change a file and a directory themselves', () => {
    writeFileSync(join(root, 'f'), 'x');
    const tree = new NodeTree(root);
    tree.setMode('f', 0o640);
    tree.setTime('', new Date(86_400_000));
    expect(lstatSync(join(root, 'f')).mode & 0o777).toBe(0o640);
    expect(statSync(root).mtimeMs).toBe(86_400_000);
  });
});

describe('NodeTree writes streamed data through NAME.ctmtmp', () => {
  it('removes NAME.ctmtmp and keeps the old file when the chunks throw', async () => {
    writeFileSync(join(root, 'f'), 'old\n');
    async function* failing() {
      yield bytes('new data');
      throw new Error('the delta went bad');
    }
    await expect(new NodeTree(root).writeFile('f', failing(), 0o644)).rejects.toThrow('the delta went bad');
    expect(readdirSync(root)).toEqual(['f']);
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('old\n');
  });
});

describe('readDelta with streamAbove', () => {
  it('hands a big FM block out as a stream, checks its MD5, and skips what is not read', async () => {
    const data = 'x'.repeat(100);
    const delta = handDelta(`CTMFM big 0 0 644 ${md5(data)} 100\n${data}\nCTMDM d 0 0 755\n`);
    const seen: string[] = [];
    for await (const item of readDelta([delta], { streamAbove: 10 })) {
      if (item.kind !== 'record') continue;
      const r = item.record;
      if (r.key === 'FM') {
        expect(r.data.length).toBe(0);
        expect(r.stream?.size).toBe(100);
      }
      seen.push(`${r.key} ${r.name}`);
    }
    expect(seen).toEqual(['FM big', 'DM d']);
    const bad = handDelta(`CTMFM big 0 0 644 ${md5('y')} 100\n${data}\n`);
    await expect(async () => {
      for await (const _ of readDelta([bad], { streamAbove: 10 }));
    }).rejects.toThrow('Internal MD5 failed. (big)');
  });

  it('applyDelta writes a streamed block whole (a 3 MiB FM record)', async () => {
    const data = 'abcdefgh'.repeat(3 * 131_072);
    const tree = new MemoryTree();
    const result = await applyDelta(
      () => [handDelta(`CTMFM big 0 0 644 ${md5(data)} ${data.length}\n${data}\n`)],
      tree,
    );
    expect(result.status).toBe(0);
    expect(tree.readFile('big').length).toBe(data.length);
  });

  it('refuses a mode above 7777 as ctm(1) refuses a bad mode (exit bit 32)', async () => {
    const tree = new MemoryTree();
    const result = await applyDelta(() => [handDelta('CTMDM d 0 0 17777\n')], tree);
    expect(result).toMatchObject({ outcome: 'refused', status: CtmExit.Mess });
    expect(tree.snapshot()).toEqual({});
  });
});

describe('PieceScanner caps a line', () => {
  it('discards a piece with a line over MAX_LINE ("line 2: line too long") and finds the next piece', () => {
    const scanner = new PieceScanner();
    const events = [
      ...scanner.feed(bytes('CTM_MAIL BEGIN a.0001.gz 1 1\n')),
      ...scanner.feed(bytes('A'.repeat(3000))),
      ...scanner.feed(bytes('A'.repeat(3000))),
      ...scanner.feed(bytes('\nCTM_MAIL END 65535\nCTM_MAIL BEGIN b.0001.gz 1 1\nCTM_MAIL END 65535\n')),
      ...scanner.end(),
    ];
    expect(events.map((e) => (e.type === 'discard' ? e.messages.join(' | ') : e.type))).toEqual([
      'begin',
      'line 2: line too long | a.0001.gz 1/1 discarded',
      'begin',
      'end',
    ]);
  });
});
