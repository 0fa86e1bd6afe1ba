import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeldLock, LockPort } from '../src/index.js';
import {
  decodeMimeMessage,
  FilePieceStore,
  fileChunks,
  PieceIntake,
  QueueDir,
  readMaildrop,
} from '../src/node/index.js';
import { bytes, pieceMessages, sourceOf } from './_fixtures.js';

let root: string;
let pieces: string;
let deltas: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ctm-mail-node-'));
  pieces = join(root, 'pieces');
  deltas = join(root, 'deltas');
  mkdirSync(pieces);
  mkdirSync(deltas);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** One process: a plain mutex is enough here; the CLI tests use @suite/lockfile across processes. */
const locks: LockPort = {
  async acquire(): Promise<HeldLock> {
    return { release: async () => {} };
  },
};

async function rmail(mbox: string) {
  const lines: string[] = [];
  const intake = new PieceIntake({
    store: new FilePieceStore({ pieceDir: pieces, deltaDir: deltas }),
    locks,
    log: (l) => lines.push(l),
  });
  const result = await readMaildrop(fileChunks(mbox), { intake, decodeMime: decodeMimeMessage });
  await intake.close();
  return { ...result, lines };
}

function mboxOf(messages: readonly (string | Buffer)[]): Buffer {
  return Buffer.concat(
    messages.map((m) =>
      Buffer.concat([
        Buffer.from('From someone Sat Nov 21 07:00:00 2026\n'),
        Buffer.from(
          Buffer.from(m)
            .toString('latin1')
            .replace(/^(>*From )/gm, '>$1'),
          'latin1',
        ),
        Buffer.from('\n'),
      ]),
    ),
  );
}

function mime(body: string, options: Record<string, unknown>): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    new MailComposer({
      from: 'owner-x@example.org',
      to: 'x@example.org',
      subject: 'ctm-mail',
      ...options,
      text: body,
    })
      .compile()
      .build((error, message) => (error ? reject(error) : resolve(message))),
  );
}

describe('ctm_rmail over real files', () => {
  it('rebuilds every intact delta byte-identical from a mailbox of shuffled, duplicated, re-encoded and broken pieces', async () => {
    const a = bytes(40_000, 7);
    const b = bytes(9_000, 8);
    const c = bytes(500, 9);
    const ma = await pieceMessages(a, 'src-cur.0001.gz', 8000);
    const mb = await pieceMessages(b, 'src-cur.0002.gz', 3000);
    const [mc] = await pieceMessages(c, 'ports-cur.0100.gz', 64000);
    const body = (m: string) => m.slice(m.indexOf('\n\n') + 2);
    const messages: (string | Buffer)[] = [
      'From: friend\nSubject: lunch?\n\nFrom the desk of a friend: lunch at noon.\n',
      ma[3]!,
      mb[1]!.replaceAll('\n', '\r\n'), // CRLF
      await mime(body(ma[0]!), { textEncoding: 'quoted-printable' }),
      ma[1]!,
      ma[1]!, // a duplicate delivery
      await mime(`Hello,\n\n${body(mb[0]!)}`, { textEncoding: 'base64' }),
      await mime('see the attachment', {
        attachments: [{ filename: 'piece.txt', content: body(ma[2]!), contentType: 'text/plain' }],
      }),
      mb[2]!.replace(/^(CTM_MAIL END) \d+$/m, '$1 1'), // corrupted: bad checksum
      mc!.slice(0, mc!.indexOf('CTM_MAIL END')), // truncated, then more mail follows
      ...ma.slice(4),
      mb[2]!,
      mb[3]!,
      mb[4]!,
    ];
    const mbox = join(root, 'mbox');
    writeFileSync(mbox, mboxOf(messages));
    const result = await rmail(mbox);
    if (process.env.DEBUG_CTM) console.log(result.lines.join('\n'));
    expect(readFileSync(join(deltas, 'src-cur.0001.gz'))).toEqual(Buffer.from(a));
    expect(readFileSync(join(deltas, 'src-cur.0002.gz'))).toEqual(Buffer.from(b));
    expect(readdirSync(deltas).sort()).toEqual(['.rebuilt', 'src-cur.0001.gz', 'src-cur.0002.gz']);
    expect(readdirSync(pieces)).toEqual([]);
    expect(result.failures).toBe(2);
    expect(result.lines).toContain(
      'checksum: read 1, calculated ' +
        result.lines
          .find((l) => l.startsWith('checksum'))!
          .split(' ')
          .at(-1),
    );
    expect(result.lines).toContain('src-cur.0002.gz 3/5 discarded');
    // The truncated piece runs into the next message's From_ line, as in the original.
    expect(result.lines).toContain('ports-cur.0100.gz 1/1 discarded');
    expect(result.lines.filter((l) => l.endsWith('complete'))).toHaveLength(2);
  });

  it('writes nothing outside the piece and delta directories for hostile names', async () => {
    const [m] = await pieceMessages(bytes(300), 'x', 64000);
    const names = [
      '..',
      '../../x',
      '../deltas/evil',
      '.mutex_build',
      '.mutex_build.lock',
      'a'.repeat(40),
      'a\x01b',
      '/etc/passwd',
    ];
    const mbox = join(root, 'mbox');
    writeFileSync(mbox, mboxOf(names.map((n) => m!.replace('BEGIN x', `BEGIN ${n}`))));
    const result = await rmail(mbox);
    expect(readdirSync(root).sort()).toEqual(['deltas', 'mbox', 'pieces']);
    // "/etc/passwd" maps to "_etc_passwd" and "../deltas/evil" to ".._deltas_evil" (refused: starts with '.').
    expect(readdirSync(deltas).sort()).toEqual(['.rebuilt', '_etc_passwd']);
    expect(readdirSync(pieces)).toEqual([]);
    expect(result.lines.filter((l) => l.startsWith('refused:'))).toHaveLength(7);
  });

  it('queues pieces all at once: dot-files first, then renamed, in serving order', async () => {
    const queue = new QueueDir(pieces);
    const data = Buffer.from(bytes(20_000));
    const seen: string[][] = [];
    await queue.queueDelta(
      sourceOf(data),
      { name: 'd.0001.gz', size: data.length, alias: 'list', maxMessageSize: 5000 },
      () => seen.push(readdirSync(pieces).filter((n) => !n.startsWith('.'))),
    );
    expect(seen.every((s) => s.length === 0)).toBe(true);
    expect(queue.entries()).toEqual([
      'd.0001.gz+001-006',
      'd.0001.gz+002-006',
      'd.0001.gz+003-006',
      'd.0001.gz+004-006',
      'd.0001.gz+005-006',
      'd.0001.gz+006-006',
    ]);
    const claimed = queue.claim('d.0001.gz+001-006')!;
    expect(queue.claim('d.0001.gz+001-006')).toBeUndefined();
    expect(queue.entries()).toHaveLength(5);
    claimed.putBack();
    expect(queue.entries()).toHaveLength(6);
  });

  it('reports the first piece that cannot be written, in order, and leaves no rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const collect = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', collect);
    try {
      const missing = join(pieces, 'gone');
      const data = Buffer.from(bytes(60_000));
      const queued: number[] = [];
      // Reads that take a while, as from a disk: writes fail while the splitter waits for the next bytes.
      const whole = sourceOf(data);
      const slow = {
        read: async (n: number) => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          return whole.read(n);
        },
      };
      await expect(
        new QueueDir(missing).queueDelta(
          slow,
          { name: 'd.0001.gz', size: data.length, alias: 'l', maxMessageSize: 3000 },
          (piece) => queued.push(piece.number),
        ),
      ).rejects.toThrow(
        new RegExp(`^cannot open '${missing}/\\.\\d{8}\\.001' for writing: No such file or directory$`),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      expect(queued).toEqual([]);
      expect(readdirSync(pieces)).toEqual([]);
    } finally {
      process.off('unhandledRejection', collect);
    }
  });

  it('leaves the queue untouched when the delta cannot be read to its end', async () => {
    const queue = new QueueDir(pieces);
    await expect(
      queue.queueDelta(
        { read: () => new Uint8Array(0) },
        { name: 'd', size: 10_000, alias: 'l', maxMessageSize: 3000 },
        () => {},
      ),
    ).rejects.toThrow(/ended/);
    expect(readdirSync(pieces)).toEqual([]);
  });
});
