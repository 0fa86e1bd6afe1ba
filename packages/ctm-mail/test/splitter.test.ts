import { describe, expect, it } from 'vitest';
import { CtmMailError, noticeMessage, pieceChecksum, planPieces } from '../src/index.js';
import { bytes, MANUAL_PIECE, pieceMessages, piecesOf, scanAll, sourceOf, str, text } from './_fixtures.js';

describe('the checksum', () => {
  it('sums the manual sample piece to 61065 over its 204 bytes', () => {
    const [piece] = piecesOf(scanAll(text(MANUAL_PIECE)));
    expect(piece?.data.length).toBe(204);
    expect(pieceChecksum(piece!.data)).toBe(61065);
  });

  it('rotates left then adds each byte', () => {
    expect(pieceChecksum(new Uint8Array([]))).toBe(0xffff);
    expect(pieceChecksum(new Uint8Array([1]))).toBe(0); // 0xffff rotated is 0xffff, +1 wraps
    expect(pieceChecksum(new Uint8Array([0, 0]), 0x8000)).toBe(2);
  });
});

describe('planPieces', () => {
  it('sizes as the original: e = S*4/3, plus newlines, N = ceil(e/M), bytes per piece rounded up to 54', () => {
    expect(planPieces(204, 64000)).toEqual({ count: 1, bytesPerPiece: 216 });
    expect(planPieces(64 * 1024 * 1024, 64000)).toEqual({ count: 1418, bytesPerPiece: 47358 });
    for (const [s, m] of [
      [1, 1],
      [1000, 7],
      [99999, 1000],
      [123456, 64000],
    ] as const) {
      let e = Math.floor((s * 4) / 3);
      e += Math.ceil(e / 72);
      const n = Math.ceil(e / m);
      expect(planPieces(s, m)).toEqual({ count: n, bytesPerPiece: Math.ceil(Math.ceil(s / n) / 54) * 54 });
    }
  });

  it('refuses a 0-byte delta and -m 0 with clear errors instead of dividing by zero', () => {
    expect(() => planPieces(0, 64000)).toThrow(expect.objectContaining({ code: 'EEMPTY' }));
    expect(() => planPieces(10, 0)).toThrow(CtmMailError);
    expect(() => planPieces(10, -5)).toThrow(/positive/);
  });
});

describe('splitDelta', () => {
  it('writes the manual sample piece as the original would: headers, 72-character lines, the sum', async () => {
    const [data] = piecesOf(scanAll(text(MANUAL_PIECE))).map((p) => p.data);
    const [message] = await pieceMessages(data!, 'src-cur.0003.gz', 64000, 'src-cur');
    expect(message).toBe(
      'From: owner-src-cur\nTo: src-cur\nSubject: ctm-mail src-cur.0003.gz 1/1\n\n' +
        'CTM_MAIL BEGIN src-cur.0003.gz 1 1\n' +
        'H4sIAAAAAAACA3VU72/bNhD9bP0VByQoEiyRSZEUSQP9kKTeYCR2gDTdsGFAwB/HRogtG5K8\n' +
        'NCj6v4+UZSdtUQh6Rz0eee/xaF/dzx8up3/MFlDkBNrGnbttAwyo1pxoRgoiBNX/QJ5d3c9/\n' +
        'X8DcPGGolggkPiXngE4W1gUjKPJCYyk5MZRbIqmNW/ASglIFcdwIzTUxaAqhnCPcBqloKEkJ\n' +
        'VNDMF0Azk+BodDzzk0Ods/+A5gXv9YyJHjMCtJwQNeESNma7hOmXDRxn\n' +
        'CTM_MAIL END 61065\n',
    );
  });

  it('writes zeros in the unused bits of a last character and no padding', async () => {
    const [one] = await pieceMessages(new Uint8Array([0xff]), 'x', 64000);
    expect(one).toContain('\n/w\nCTM_MAIL END');
    const [two] = await pieceMessages(new Uint8Array([0xff, 0xff]), 'x', 64000);
    expect(two).toContain('\n//8\nCTM_MAIL END');
  });

  it('writes empty trailing pieces as BEGIN directly followed by END 65535', async () => {
    // 540 bytes at -m 100: 8 pieces of 108 bytes, so pieces 6..8 carry nothing.
    expect(planPieces(540, 100)).toEqual({ count: 8, bytesPerPiece: 108 });
    const messages = await pieceMessages(bytes(540), 'd.0001.gz', 100);
    expect(messages).toHaveLength(8);
    expect(messages[7]).toBe(
      'From: owner-ctm-list\nTo: ctm-list\nSubject: ctm-mail d.0001.gz 8/8\n\n' +
        'CTM_MAIL BEGIN d.0001.gz 8 8\nCTM_MAIL END 65535\n',
    );
  });

  it.each([1, 2, 3, 53, 54, 55, 107, 108, 109, 1000, 4096, 65536, 300_001, 3_000_000])(
    'round-trips a %i-byte delta byte for byte at many -m values',
    async (size) => {
      const data = bytes(size, size);
      for (const m of [1, 50, 73, 100, 999, 64000, 10_000_000]) {
        if (size > 5_000 && m < 999) continue; // thousands of pieces prove nothing more
        const messages = await pieceMessages(data, 'src-cur.0042.gz', m);
        expect(messages).toHaveLength(planPieces(size, m).count);
        const pieces = piecesOf(scanAll(text(messages.join('')), 4093));
        expect(pieces.map((p) => p.number)).toEqual(messages.map((_, i) => i + 1));
        const joined = new Uint8Array(size);
        let at = 0;
        for (const p of pieces) {
          joined.set(p.data, at);
          at += p.data.length;
        }
        expect(at).toBe(size);
        expect(Buffer.compare(joined, data)).toBe(0);
        for (const message of messages) {
          for (const line of message.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
        }
      }
    },
  );

  it('streams a piece bigger than its chunk in several writes, with bounded writes', async () => {
    const writes: number[] = [];
    const data = bytes(1_000_000);
    const { splitDelta } = await import('../src/index.js');
    await splitDelta(
      sourceOf(data),
      { name: 'big', size: data.length, alias: 'a', maxMessageSize: 10_000_000 },
      () => ({ write: (b) => void writes.push(b.length), close: () => {} }),
    );
    expect(writes.length).toBeGreaterThan(3);
    expect(Math.max(...writes)).toBeLessThan(400_000);
  });
});

describe('noticeMessage', () => {
  it('is the manual example, two spaces after the first full stop', () => {
    expect(
      str(noticeMessage({ name: 'src-cur.0999.gz', size: 792843, maxDeltaSize: 300000, alias: 'src-cur' })),
    ).toBe(
      'From: owner-src-cur\nTo: src-cur\nSubject: ctm-notice src-cur.0999.gz\n\n' +
        'src-cur.0999.gz is 792843 bytes.  The limit is 300000 bytes.\n\nYou can retrieve this delta via ftp.\n',
    );
  });
});

describe('planPieces and the 999,999 pieces ctm_rmail accepts', () => {
  it('plans up to 999,999 pieces and refuses a delta one byte bigger with ETOOMANY', () => {
    let size = 700_000;
    while (planCount(size + 1) <= 999_999) size++;
    expect(planPieces(size, 1).count).toBeGreaterThan(999_990);
    expect(planPieces(size, 1).count).toBeLessThanOrEqual(999_999);
    expect(() => planPieces(size + 1, 1)).toThrow(
      expect.objectContaining({ code: 'ETOOMANY', message: expect.stringContaining('use a larger -m') }),
    );
  });
});

/** The original's sizing, written out: the count for -m 1. */
function planCount(size: number): number {
  const encoded = Math.floor((size * 4) / 3);
  return encoded + Math.ceil(encoded / 72);
}
