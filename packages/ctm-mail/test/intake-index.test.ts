import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeldLock, LockPort } from '../src/index.js';
import { FilePieceStore, PieceIntake, readMaildrop } from '../src/node/index.js';
import { bytes, pieceMessages, text } from './_fixtures.js';

let root: string;
let pieces: string;
let deltas: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ctm-intake-index-'));
  pieces = join(root, 'pieces');
  deltas = join(root, 'deltas');
  mkdirSync(pieces);
  mkdirSync(deltas);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const locks: LockPort = {
  async acquire(): Promise<HeldLock> {
    return { release: async () => {} };
  },
};

/** The real file store, counting the calls whose number must not grow with the deltas waiting. */
class CountingStore extends FilePieceStore {
  lists = 0;
  cleanups = 0;
  lookups: string[] = [];
  override async list() {
    this.lists++;
    return super.list();
  }
  override async removeTemporaries() {
    this.cleanups++;
    return super.removeTemporaries();
  }
  override async has(file: string) {
    this.lookups.push(file);
    return super.has(file);
  }
}

/** One ctm_rmail run over `messages` (one maildrop each); `close: false` is a run that dies before it ends. */
async function run(
  messages: readonly string[],
  options: { close?: boolean; pieceDir?: string; deltaDir?: string } = {},
) {
  const lines: string[] = [];
  const store = new CountingStore({
    pieceDir: options.pieceDir ?? pieces,
    deltaDir: options.deltaDir ?? deltas,
  });
  const intake = new PieceIntake({ store, locks, log: (l) => lines.push(l), memory: 0 });
  for (const m of messages) await readMaildrop([text(m)], { intake, decodeMime: async (b) => [b] });
  if (options.close !== false) await intake.close();
  return { lines, store };
}

const visible = (dir: string) => readdirSync(dir).filter((f) => !f.startsWith('.'));

describe('ctm_rmail with many deltas waiting for pieces', () => {
  it('after a run that ended cleanly, looks up only the pieces of the delta it receives: no listing of the piece directory', async () => {
    const waiting: string[] = [];
    for (let i = 0; i < 300; i++) waiting.push((await pieceMessages(bytes(900, i + 1), `w.${i}`, 700))[0]!);
    const first = await run(waiting);
    expect(first.store.lists).toBe(1); // no mark yet: the directory is listed once
    expect(visible(pieces)).toHaveLength(300);
    expect(readFileSync(join(deltas, '.rebuilt', '.clean'), 'utf8')).toBe(resolve(pieces));

    const data = bytes(3000, 7);
    const three = await pieceMessages(data, 'src-cur.0001.gz', 1400);
    expect(three).toHaveLength(3);
    for (const [i, m] of [three[2]!, three[0]!, three[1]!].entries()) {
      const next = await run([m]);
      expect(next.store.lists).toBe(0);
      expect(next.store.cleanups).toBe(0);
      // Only the pieces of src-cur.0001.gz are looked up, whatever the 300 other deltas waiting.
      expect(next.store.lookups.every((f) => f.startsWith('src-cur.0001.gz+'))).toBe(true);
      expect(next.store.lookups.length).toBeLessThanOrEqual(3);
      if (i < 2) expect(next.lines).toEqual([expect.stringMatching(/^src-cur\.0001\.gz \d\/3 stored$/)]);
    }
    expect(readFileSync(join(deltas, 'src-cur.0001.gz')).equals(data)).toBe(true);
    expect(visible(pieces)).toHaveLength(300);
    expect(existsSync(join(deltas, '.rebuilt', '.clean'))).toBe(true);
  });

  it('rebuilds deltas whose pieces come one message per run, in any order, byte-identical, and drops later duplicates', async () => {
    const datas = [bytes(5000, 3), bytes(4000, 4), bytes(100, 5)];
    const messages: { name: string; m: string }[] = [];
    for (const [d, data] of datas.entries()) {
      for (const m of await pieceMessages(data, `d.000${d + 1}.gz`, 1000))
        messages.push({ name: `d${d}`, m });
    }
    // A fixed shuffle: every delta's pieces out of order and interleaved with the others'.
    const order = messages.map((_, i) => (i * 5) % messages.length);
    expect(new Set(order).size).toBe(messages.length);
    for (const i of order) await run([messages[i]!.m]);
    for (const [d, data] of datas.entries()) {
      expect(readFileSync(join(deltas, `d.000${d + 1}.gz`)).equals(data)).toBe(true);
    }
    expect(visible(pieces)).toEqual([]);
    const again = await run([messages[0]!.m]);
    expect(again.lines).toEqual(['d.0001.gz 1/7 dropped: a duplicate, d.0001.gz was already rebuilt']);
    expect(visible(pieces)).toEqual([]);
  });

  it('keeps a piece that differs from the stored one of the same number across runs, and uses the first', async () => {
    const data = bytes(2000, 9);
    const [p1, p2] = await pieceMessages(data, 'c.0001.gz', 1400);
    await run([await run([]).then(() => p1!)]); // a run with no piece first: nothing to mark, nothing changes
    const forged = (await pieceMessages(bytes(2000, 10), 'c.0001.gz', 1400))[0]!;
    const second = await run([forged]);
    expect(second.store.lists).toBe(0);
    expect(second.lines[0]).toMatch(
      /^c\.0001\.gz 1\/2 differs from the stored piece: kept as c\.0001\.gz\+001-002\.conflict\./,
    );
    await run([p2!]);
    expect(readFileSync(join(deltas, 'c.0001.gz')).equals(data)).toBe(true);
  });

  it('lists the piece directory and finishes what a run that died left behind (it took the mark with it)', async () => {
    const data = bytes(2000, 11);
    const [p1, p2] = await pieceMessages(data, 'x.0001.gz', 1400);
    const waiting = (await pieceMessages(bytes(900, 12), 'w.1', 700))[0]!;
    await run([waiting]);
    expect(existsSync(join(deltas, '.rebuilt', '.clean'))).toBe(true);
    // This run dies after it stored piece 1 (the mark is gone with it) ...
    await run([p1!], { close: false });
    expect(existsSync(join(deltas, '.rebuilt', '.clean'))).toBe(false);
    // ... and the complete set it would have built is left as another that died between its last piece and the
    // build leaves it.
    writeFileSync(join(pieces, 'y.0001.gz+001-001'), 'whole');
    const next = await run([]);
    expect(next.store.lists).toBe(1);
    expect(next.store.cleanups).toBe(1);
    expect(next.lines).toEqual(['y.0001.gz complete']);
    expect(readFileSync(join(deltas, 'y.0001.gz'), 'latin1')).toBe('whole');
    const last = await run([p2!]);
    expect(last.store.lists).toBe(0);
    expect(readFileSync(join(deltas, 'x.0001.gz')).equals(data)).toBe(true);
  });

  it('ends a run well when the mark cannot be left (the next run lists the directory instead)', async () => {
    const [p1] = await pieceMessages(bytes(2000, 14), 'm.0001.gz', 1400);
    writeFileSync(join(root, 'file'), 'not a directory');
    // A delta directory under a file: DELTADIR/.rebuilt/.clean cannot be made (ENOTDIR); no delta is built here.
    const first = await run([p1!], { deltaDir: join(root, 'file', 'deltas') });
    expect(first.lines).toEqual(['m.0001.gz 1/2 stored']);
    expect(visible(pieces)).toEqual(['m.0001.gz+001-002']);
    const next = await run([]);
    expect(next.store.lists).toBe(1);
  });

  it('does not trust a mark left for another piece directory beside the same deltas', async () => {
    const waiting = (await pieceMessages(bytes(900, 13), 'w.1', 700))[0]!;
    await run([waiting]);
    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'z.0001.gz+001-001'), 'left');
    const r = await run([], { pieceDir: other });
    expect(r.store.lists).toBe(1);
    expect(readFileSync(join(deltas, 'z.0001.gz'), 'latin1')).toBe('left');
  });
});
