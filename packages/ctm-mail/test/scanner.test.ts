import { describe, expect, it } from 'vitest';
import { MaildropReader, PieceScanner, type ScanEvent } from '../src/index.js';
import { bytes, MANUAL_PIECE, pieceMessages, piecesOf, scanAll, text } from './_fixtures.js';

const discards = (events: readonly ScanEvent[]) =>
  events.flatMap((e) => (e.type === 'discard' ? [e.messages] : []));

describe('PieceScanner', () => {
  it('finds the manual piece in any chunking, ignoring text around it', () => {
    const input = text(`Some mail\n\n${MANUAL_PIECE}\nsignature\n`);
    for (const chunk of [1, 2, 3, 7, 64, input.length]) {
      const pieces = piecesOf(scanAll(input, chunk));
      expect(pieces).toHaveLength(1);
      expect(pieces[0]).toMatchObject({ name: 'src-cur.0003.gz', number: 1, count: 4 });
      expect(pieces[0]!.data.length).toBe(204);
    }
  });

  it('accepts CRLF line ends and trailing white space', () => {
    const crlf = MANUAL_PIECE.replaceAll('\n', ' \t\r\n');
    expect(piecesOf(scanAll(text(crlf)))).toHaveLength(1);
  });

  it('discards a piece with an illegal character, naming the line: "line 7: illegal character: \'#\'"', () => {
    const bad = MANUAL_PIECE.replace('v4+UZSdt', 'v4+U#Sdt');
    const events = scanAll(text(bad));
    expect(piecesOf(events)).toHaveLength(0);
    expect(discards(events)).toEqual([["line 7: illegal character: '#'", 'src-cur.0003.gz 1/4 discarded']]);
  });

  it('reports the checksum as the original: "checksum: read X, calculated Y"', () => {
    const events = scanAll(text(MANUAL_PIECE.replace('END 61065', 'END 61066')));
    expect(discards(events)).toEqual([
      ['checksum: read 61066, calculated 61065', 'src-cur.0003.gz 1/4 discarded'],
    ]);
  });

  it('discards an oversized piece (a line too many) by its checksum (rotated three times: 29775)', () => {
    const extra = MANUAL_PIECE.replace('CTM_MAIL END', 'AAAA\nCTM_MAIL END');
    expect(discards(scanAll(text(extra)))).toEqual([
      ['checksum: read 61065, calculated 29775', 'src-cur.0003.gz 1/4 discarded'],
    ]);
  });

  it('reports a piece cut off by the end of input: "truncated file"', () => {
    const cut = MANUAL_PIECE.slice(0, MANUAL_PIECE.indexOf('CTM_MAIL END'));
    expect(discards(scanAll(text(cut)))).toEqual([['truncated file', 'src-cur.0003.gz 1/4 discarded']]);
  });

  it('treats an empty line and padding inside a piece as illegal, as the original does', () => {
    const blank = MANUAL_PIECE.replace('\nv4+', '\n\nv4+');
    expect(discards(scanAll(text(blank)))[0]?.[0]).toBe("line 7: illegal character: '\\n'");
    const padded = MANUAL_PIECE.replace('DRxn\n', 'DRx=\n');
    expect(discards(scanAll(text(padded)))[0]?.[0]).toBe("line 9: illegal character: '='");
  });

  it('ignores BEGIN lines with other than three fields, and non-numeric numbers, as sscanf would', () => {
    for (const begin of [
      'CTM_MAIL BEGIN a 1 2 extra',
      'CTM_MAIL BEGIN a 1',
      'CTM_MAIL BEGIN a x 2',
      ' CTM_MAIL BEGIN a 1 2',
    ]) {
      const scanner = new PieceScanner();
      const events = [...scanner.feed(text(`${begin}\nAAAA\nCTM_MAIL END 1\n`)), ...scanner.end()];
      expect(events).toEqual([]);
      expect(scanner.begins).toBe(0);
    }
  });

  it('maps / to _ in names', async () => {
    const [message] = await pieceMessages(bytes(10), 'x', 64000);
    const pieces = piecesOf(scanAll(text(message!.replace('BEGIN x', 'BEGIN a/b'))));
    expect(pieces[0]?.name).toBe('a_b');
  });

  it.each([
    ['..', "refused: delta name '..' starts with '.'"],
    ['../../x', "refused: delta name '../../x' starts with '.'"],
    ['.mutex_build', "refused: delta name '.mutex_build' starts with '.'"],
    ['a'.repeat(30), `refused: delta name '${'a'.repeat(30)}' is longer than 29 characters`],
    ['a\x01b', "refused: delta name 'a\\x01b' holds control or non-ASCII characters"],
  ])('refuses the hostile name %j and skips its data', async (name, reason) => {
    const [message] = await pieceMessages(bytes(100), 'x', 64000);
    const events = scanAll(text(`${message!.replace('BEGIN x', `BEGIN ${name}`)}${MANUAL_PIECE}`));
    expect(events.filter((e) => e.type === 'begin')).toHaveLength(1); // the manual piece only
    expect(discards(events)[0]?.[0]).toBe(reason);
    expect(discards(events)[0]?.[1]).toMatch(/ 1\/1 discarded$/);
    expect(piecesOf(events)).toHaveLength(1);
  });

  it('refuses impossible piece numbers', () => {
    const events = scanAll(text('CTM_MAIL BEGIN d 3 2\nAAAA\nCTM_MAIL END 1\n'));
    expect(discards(events)).toEqual([['refused: piece 3 of 2 is impossible', 'd 3/2 discarded']]);
  });

  it('counts lines across chunks for messages', () => {
    const input = text(`a\nb\nc\n${MANUAL_PIECE.replace('lggkPiXn', 'lggk!iXn')}`);
    for (const chunk of [1, 5, 1000])
      expect(discards(scanAll(input, chunk))[0]?.[0]).toBe("line 11: illegal character: '!'");
  });
});

describe('chunks in a reused buffer (as fileChunks reads)', () => {
  it('copies what it keeps between chunks, so a reused Buffer cannot corrupt a piece', async () => {
    const messages = await pieceMessages(bytes(20_000), 'r.gz', 3000);
    const input = Buffer.from(messages.map((m) => `From x\n${m}\n`).join(''));
    for (const size of [7, 100, 4096]) {
      const reused = Buffer.alloc(size);
      const scanner = new PieceScanner();
      const events: ScanEvent[] = [];
      const reader = new MaildropReader();
      for (let at = 0; at < input.length; at += size) {
        const n = input.copy(reused, 0, at, at + size);
        for (const segment of reader.feed(reused.subarray(0, n))) {
          if (segment.kind === 'plain') events.push(...scanner.feed(segment.bytes).map(copyData));
        }
        reused.fill(0x21);
      }
      for (const segment of reader.end())
        if (segment.kind === 'plain') events.push(...scanner.feed(segment.bytes));
      events.push(...scanner.end());
      expect(discards(events)).toEqual([]);
      expect(piecesOf(events)).toHaveLength(messages.length);
      // And the scanner alone, fed the raw chunks.
      const alone = new PieceScanner();
      const direct: ScanEvent[] = [];
      for (let at = 0; at < input.length; at += size) {
        const n = input.copy(reused, 0, at, at + size);
        direct.push(...alone.feed(reused.subarray(0, n)).map(copyData));
        reused.fill(0x21);
      }
      direct.push(...alone.end());
      expect(discards(direct)).toEqual([]);
      expect(piecesOf(direct)).toHaveLength(messages.length);
    }
  });
});

function copyData(e: ScanEvent): ScanEvent {
  return e.type === 'data' ? { type: 'data', bytes: e.bytes.slice() } : e;
}
