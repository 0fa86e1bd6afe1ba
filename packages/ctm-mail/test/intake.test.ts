import { describe, expect, it } from 'vitest';
import { PieceIntake, readMaildrop } from '../src/index.js';
import { bytes, concat, FakeLocks, MemoryStore, pieceMessages, text } from './_fixtures.js';
import { md5 } from './delta-helpers.js';

async function intakeOf(store = new MemoryStore(), memory?: number) {
  const lines: string[] = [];
  const locks = new FakeLocks();
  const intake = new PieceIntake({
    store,
    locks,
    log: (m) => lines.push(m),
    ...(memory === undefined ? {} : { memory }),
  });
  return { store, locks, lines, intake };
}

const noMime = async () => {
  throw new Error('no MIME here');
};

describe('PieceIntake', () => {
  it('stores shuffled, duplicated pieces of several deltas and rebuilds each once', async () => {
    const a = bytes(5000, 1);
    const b = bytes(3000, 2);
    const ma = await pieceMessages(a, 'a.0001.gz', 1000);
    const mb = await pieceMessages(b, 'b.0001.gz', 1000);
    const order = [
      mb[2],
      ma[3],
      ma[0],
      'Subject: hello\n\njust mail\n',
      mb[0],
      ma[1],
      ma[1],
      ma[5],
      mb[1],
      ma[4],
      ma[2],
      ma[6],
      mb[3],
      mb[4],
    ];
    const { store, lines, intake } = await intakeOf();
    const result = await readMaildrop([text(order.join('\n'))], { intake, decodeMime: noMime });
    await intake.close();
    expect(result.failures).toBe(0);
    expect(Buffer.compare(store.deltas.get('a.0001.gz')!, a)).toBe(0);
    expect(Buffer.compare(store.deltas.get('b.0001.gz')!, b)).toBe(0);
    expect(store.builds.sort()).toEqual(['a.0001.gz', 'b.0001.gz']);
    expect(store.pieces.size).toBe(0);
    expect(lines.filter((l) => l.endsWith('complete'))).toEqual(['a.0001.gz complete', 'b.0001.gz complete']);
    expect(lines).toContain('a.0001.gz 2/7 stored');
  });

  it('drops, with a message, a piece of a delta that was already rebuilt', async () => {
    const m = await pieceMessages(bytes(3000), 'a.0001.gz', 1000);
    const { store, lines, intake } = await intakeOf();
    await readMaildrop([text(m.join(''))], { intake, decodeMime: noMime });
    await readMaildrop([text(m[1]!)], { intake, decodeMime: noMime });
    await intake.close();
    expect(store.builds).toEqual(['a.0001.gz']);
    expect(store.pieces.size).toBe(0);
    expect(lines.at(-1)).toBe('a.0001.gz 2/5 dropped: a duplicate, a.0001.gz was already rebuilt');
  });

  it('finishes what a dead run left: a complete set of pieces, and pieces of a rebuilt delta', async () => {
    const store = new MemoryStore();
    const data = bytes(200);
    store.pieces.set('x+001-002', data.subarray(0, 108));
    store.pieces.set('x+002-002', data.subarray(108));
    // y was rebuilt from pieces that include this very one: a duplicate left by a run that died before removing it.
    store.pieces.set('y+001-003', data.subarray(0, 10));
    store.rebuilt.set('y', [md5(data.subarray(0, 10)), md5(bytes(1)), md5(bytes(2))]);
    const { lines, intake } = await intakeOf(store);
    await intake.close();
    expect(Buffer.compare(store.deltas.get('x')!, data)).toBe(0);
    expect(store.pieces.size).toBe(0);
    expect(lines).toContain('x complete');
  });

  it('counts discarded pieces as failures and a file without pieces as no delta', async () => {
    const m = await pieceMessages(bytes(100), 'a', 64000);
    const { intake } = await intakeOf();
    const bad = await readMaildrop([text(m[0]!.replace(/END \d+/, 'END 1'))], { intake, decodeMime: noMime });
    expect(bad).toEqual({ pieces: 1, failures: 1, lost: 0 });
    const none = await readMaildrop([text('Subject: hi\n\nnothing\n')], { intake, decodeMime: noMime });
    expect(none).toEqual({ pieces: 0, failures: 0, lost: 0 });
    await intake.close();
  });

  it('holds the build lock while it works and releases it at close', async () => {
    const m = await pieceMessages(bytes(100), 'a', 64000);
    const { locks, intake } = await intakeOf();
    await readMaildrop([text(m[0]!)], { intake, decodeMime: noMime });
    expect(locks.held.has('build')).toBe(true);
    await intake.close();
    expect(locks.held.size).toBe(0);
  });

  it('decodes MIME messages through the decoder port', async () => {
    const m = await pieceMessages(bytes(500), 'q.0001.gz', 64000);
    const qp = `From x\nContent-Transfer-Encoding: quoted-printable\n\n${m[0]!.replace(/^CTM_MAIL BEGIN/m, 'CTM_MAIL=20BEGIN')}`;
    const { store, intake } = await intakeOf();
    let decoded = 0;
    await readMaildrop([text(qp)], {
      intake,
      decodeMime: async (message) => {
        decoded++;
        return [text(new TextDecoder().decode(message).replace('=20', ' '))];
      },
    });
    await intake.close();
    expect(decoded).toBe(1);
    expect(store.deltas.get('q.0001.gz')?.length).toBe(500);
    expect(concat([store.deltas.get('q.0001.gz')!])).toEqual(bytes(500));
  });

  it('builds a delta whose pieces all came in one run without writing them, and writes the rest by the end', async () => {
    const a = await pieceMessages(bytes(3000, 1), 'a', 1000);
    const b = await pieceMessages(bytes(3000, 2), 'b', 1000);
    const { store, intake } = await intakeOf();
    await readMaildrop([text([...a, b[0]!, b[2]!].join(''))], { intake, decodeMime: noMime });
    expect(store.pieces.size).toBe(0); // b's two pieces are still in memory
    await intake.close();
    expect(store.deltas.get('a')).toEqual(bytes(3000, 1));
    expect([...store.pieces.keys()].sort()).toEqual(['b+001-005', 'b+003-005']);
  });

  it('spills to the piece directory when memory is short, and still rebuilds exactly', async () => {
    const data = bytes(20_000, 3);
    const m = await pieceMessages(data, 'c', 3000);
    const { store, intake } = await intakeOf(new MemoryStore(), 5000);
    await readMaildrop([text(m.slice(0, -1).join(''))], { intake, decodeMime: noMime });
    expect(store.pieces.size).toBeGreaterThan(0);
    await readMaildrop([text(m.at(-1)!)], { intake, decodeMime: noMime });
    await intake.close();
    expect(store.deltas.get('c')).toEqual(data);
    expect(store.pieces.size).toBe(0);
    expect(store.temporaries).toBe(0);
  });

  it('keeps the real pieces of a delta a forged one-piece mail claimed first: the delta completed last wins', async () => {
    const real = bytes(3000, 7);
    const forged = bytes(100, 9);
    const genuine = await pieceMessages(real, 'src-cur.0043.gz', 1000);
    const [fake] = await pieceMessages(forged, 'src-cur.0043.gz', 64000);
    const { store, lines, intake } = await intakeOf();
    await readMaildrop([text(fake!)], { intake, decodeMime: noMime });
    expect(store.deltas.get('src-cur.0043.gz')).toEqual(forged);
    const result = await readMaildrop([text(genuine.join(''))], { intake, decodeMime: noMime });
    await intake.close();
    expect(result).toEqual({ pieces: genuine.length, failures: 0, lost: 0 });
    expect(store.deltas.get('src-cur.0043.gz')).toEqual(real);
    expect(lines).toContain(
      `src-cur.0043.gz 1/${genuine.length} does not match the pieces src-cur.0043.gz was rebuilt from: kept`,
    );
    expect(lines.filter((l) => l.includes('dropped'))).toEqual([]);
    expect(lines.filter((l) => l.endsWith('complete'))).toEqual([
      'src-cur.0043.gz complete',
      'src-cur.0043.gz complete',
    ]);
    // A true duplicate (identical to a piece used) of the real delta is still dropped.
    await readMaildrop([text(genuine[1]!)], { intake, decodeMime: noMime });
    await intake.close();
    expect(lines.at(-1)).toBe(
      `src-cur.0043.gz 2/${genuine.length} dropped: a duplicate, src-cur.0043.gz was already rebuilt`,
    );
  });

  it('keeps both of two pieces with one number and different content, reports it, and uses the first', async () => {
    const first = await pieceMessages(bytes(3000, 1), 'd.0001.gz', 1000);
    const other = await pieceMessages(bytes(3000, 2), 'd.0001.gz', 1000);
    const { store, lines, intake } = await intakeOf(new MemoryStore(), 0);
    await readMaildrop([text(first[0]! + other[0]!)], { intake, decodeMime: noMime });
    const aside = [...store.pieces.keys()].filter((f) => f.includes('.conflict.'));
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(/^d\.0001\.gz\+001-005\.conflict\.[0-9a-f]{12}$/);
    expect(lines).toContain(`d.0001.gz 1/5 differs from the stored piece: kept as ${aside[0]}`);
    await readMaildrop([text(first.slice(1).join(''))], { intake, decodeMime: noMime });
    await intake.close();
    expect(store.deltas.get('d.0001.gz')).toEqual(bytes(3000, 1));
    expect([...store.pieces.keys()]).toEqual(aside);
    expect(store.pieces.get(aside[0]!)).toEqual(bytes(3000, 2).subarray(0, 648));
  });
});
