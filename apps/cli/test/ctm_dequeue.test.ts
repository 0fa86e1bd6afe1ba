import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes, tool } from './_support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-dequeue-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function queueDelta(name: string, size: number, m: number) {
  mkdirSync(join(dir, 'q'), { recursive: true });
  writeFileSync(join(dir, name), randomBytes(size));
  const r = await tool('ctm_smail', [`-m${m}`, '-q', join(dir, 'q'), join(dir, name), 'list']);
  expect(r.code).toBe(0);
}

describe('ctm_dequeue', () => {
  it('sends -n pieces in name order, logs "NAME P/N sent", removes them', async () => {
    await queueDelta('src-cur.0002.gz', 5000, 1500);
    await queueDelta('src-cur.0001.gz', 1000, 64000);
    const r = await tool('ctm_dequeue', ['-n', '3', '--mbox', join(dir, 'mbox'), join(dir, 'q')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'ctm_dequeue: src-cur.0001.gz 1/1 sent\nctm_dequeue: src-cur.0002.gz 1/5 sent\nctm_dequeue: src-cur.0002.gz 2/5 sent\n',
    );
    expect(readdirSync(join(dir, 'q')).sort()).toEqual([
      'src-cur.0002.gz+003-005',
      'src-cur.0002.gz+004-005',
      'src-cur.0002.gz+005-005',
    ]);
    expect(readFileSync(join(dir, 'mbox'), 'latin1').match(/^CTM_MAIL BEGIN .*$/gm)).toEqual([
      'CTM_MAIL BEGIN src-cur.0001.gz 1 1',
      'CTM_MAIL BEGIN src-cur.0002.gz 1 5',
      'CTM_MAIL BEGIN src-cur.0002.gz 2 5',
    ]);
    const one = await tool('ctm_dequeue', ['--mbox', join(dir, 'mbox'), join(dir, 'q')]);
    expect(one.stderr).toBe('ctm_dequeue: src-cur.0002.gz 3/5 sent\n');
  });

  it('never sends a piece twice with several ctm_dequeue at once', async () => {
    await queueDelta('src-cur.0003.gz', 60_000, 1000);
    const count = readdirSync(join(dir, 'q')).length;
    expect(count).toBeGreaterThan(50);
    const runs = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        tool('ctm_dequeue', ['-n', '1000', '--mbox', join(dir, `mbox${i}`), join(dir, 'q')]),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const begins = [1, 2, 3, 4].flatMap((i) => {
      try {
        return readFileSync(join(dir, `mbox${i}`), 'latin1').match(/^CTM_MAIL BEGIN .*$/gm) ?? [];
      } catch {
        return [];
      }
    });
    expect(begins).toHaveLength(count);
    expect(new Set(begins).size).toBe(count);
    expect(readdirSync(join(dir, 'q'))).toEqual([]);
  });

  it('keeps a piece whose sendmail fails: "sendmail failed", exit 1', async () => {
    await queueDelta('d.gz', 100, 64000);
    const sendmail = join(dir, 'sendmail');
    writeFileSync(sendmail, '#!/bin/sh\ncat >/dev/null\nexit 75\n');
    chmodSync(sendmail, 0o755);
    const r = await tool('ctm_dequeue', ['--sendmail', sendmail, join(dir, 'q')]);
    expect(r).toMatchObject({ code: 1, stderr: 'ctm_dequeue: sendmail failed\n' });
    expect(readdirSync(join(dir, 'q'))).toEqual(['d.gz+001-001']);
  });

  it("puts back what a killed ctm_dequeue had claimed, and drops a killed ctm_smail's temporaries", async () => {
    await queueDelta('k.gz', 100, 64000);
    const q = join(dir, 'q');
    // As left by kill -9: a claimed entry of a dead ctm_dequeue, and a dead ctm_smail's half-written piece.
    renameSync(join(q, 'k.gz+001-001'), join(q, '.claim.999999.k.gz+001-001'));
    writeFileSync(join(q, '.00999999.001'), 'half a piece');
    const r = await tool('ctm_dequeue', ['--mbox', join(dir, 'mbox'), q]);
    expect(r).toMatchObject({ code: 0, stderr: 'ctm_dequeue: k.gz 1/1 sent\n' });
    expect(readdirSync(q)).toEqual([]);
  });

  it('refuses bad input clearly with exit 1', async () => {
    writeFileSync(join(dir, 'file'), '');
    mkdirSync(join(dir, 'q'));
    const cases: [string[], RegExp][] = [
      [['-n', '0', join(dir, 'q')], /-n must be at least 1, not 0/],
      [['-n', '-3', join(dir, 'q')], /-n needs a number, not '-3'/],
      [[join(dir, 'file')], /not a directory: .*file/],
      [[join(dir, 'missing')], /missing: No such file or directory/],
      [[], /^usage: ctm_dequeue \[-l log\] \[-n num\] queuedir/],
    ];
    for (const [args, message] of cases) {
      const r = await tool('ctm_dequeue', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
