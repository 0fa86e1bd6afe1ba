// ctm_smail, ctm_dequeue and ctm_rmail under forged mail, kill -9 and full disks: nothing lost, nothing escapes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
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
import { bin, randomBytes, tool } from './_support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-mail-hostile-'));
  for (const d of ['pieces', 'deltas', 'q']) mkdirSync(join(dir, d));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rmailDirs = () => ['-p', join(dir, 'pieces'), '-d', join(dir, 'deltas')];

/** The messages ctm_smail writes for `data` named `name` (one string per piece). */
async function messagesOf(name: string, data: Buffer, m: number): Promise<string[]> {
  const sub = mkdtempSync(join(dir, 'smail-'));
  writeFileSync(join(sub, name), data);
  const r = await tool('ctm_smail', [`-m${m}`, '--mbox', join(sub, 'mbox'), join(sub, name), 'ctm-list']);
  expect(r.code).toBe(0);
  return readFileSync(join(sub, 'mbox'), 'latin1')
    .split(/^From .*\n/m)
    .filter(Boolean);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.on('exit', () => resolve());
  });
}

/** Mounts a tmpfs of `size` at a fresh directory; skips the test (or fails under CI) when it cannot. */
function smallDisk(context: { skip(note?: string): void }, size: string): string {
  const mnt = mkdtempSync(join(tmpdir(), 'ctm-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(mnt, { recursive: true, force: true });
    const why = `cannot mount a ${size} tmpfs (${(r.stderr || r.error?.message || '').trim()})`;
    context.skip(why); // needs root (or CAP_SYS_ADMIN) to mount: said, never silent
  }
  mounts.push(mnt);
  return mnt;
}
const mounts: string[] = [];
afterEach(() => {
  for (const mnt of mounts.splice(0)) {
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});

describe('ctm_rmail: a forged piece never makes the real delta a "duplicate"', () => {
  it('keeps the real pieces of a delta a forged one-piece mail named first, and ends with the real delta', async () => {
    const real = randomBytes(3000, 5);
    const genuine = await messagesOf('src-cur.0043.gz', real, 1000);
    const [forged] = await messagesOf('src-cur.0043.gz', randomBytes(200, 6), 64000);
    const first = await tool('ctm_rmail', rmailDirs(), { input: forged });
    expect(first).toMatchObject({ code: 0, stderr: expect.stringContaining('src-cur.0043.gz complete') });
    const runs = [];
    for (const message of genuine) runs.push(await tool('ctm_rmail', rmailDirs(), { input: message }));
    expect(runs.map((r) => r.code)).toEqual(genuine.map(() => 0));
    const log = runs.map((r) => r.stderr).join('');
    expect(log).toContain(
      `src-cur.0043.gz 1/${genuine.length} does not match the pieces src-cur.0043.gz was rebuilt from: kept`,
    );
    expect(log).not.toContain('dropped');
    expect(log).toMatch(/src-cur\.0043\.gz complete\n$/);
    expect(readFileSync(join(dir, 'deltas/src-cur.0043.gz'))).toEqual(real);
    expect(readdirSync(join(dir, 'pieces'))).toEqual([]);
    // The same real piece delivered again is a duplicate: dropped.
    const again = await tool('ctm_rmail', rmailDirs(), { input: genuine[0] });
    expect(again).toMatchObject({
      code: 0,
      stderr: `ctm_rmail: src-cur.0043.gz 1/${genuine.length} dropped: a duplicate, src-cur.0043.gz was already rebuilt\n`,
    });
  });

  it('keeps both of two different pieces with one number, says so, and does not let the last win', async () => {
    const a = await messagesOf('x.0001.gz', randomBytes(3000, 1), 1000);
    const b = await messagesOf('x.0001.gz', randomBytes(3000, 2), 1000);
    await tool('ctm_rmail', rmailDirs(), { input: a[1] });
    const second = await tool('ctm_rmail', rmailDirs(), { input: b[1] });
    expect(second.code).toBe(0);
    const aside = readdirSync(join(dir, 'pieces')).filter((f) => f.includes('.conflict.'));
    expect(aside).toHaveLength(1);
    expect(second.stderr).toBe(
      `ctm_rmail: x.0001.gz 2/${a.length} differs from the stored piece: kept as ${aside[0]}\n`,
    );
    for (const m of [a[0], ...a.slice(2)])
      expect((await tool('ctm_rmail', rmailDirs(), { input: m })).code).toBe(0);
    expect(readFileSync(join(dir, 'deltas/x.0001.gz'))).toEqual(randomBytes(3000, 1));
    expect(readdirSync(join(dir, 'pieces'))).toEqual(aside);
  });
});

describe('ctm_rmail: exit 75 (EX_TEMPFAIL) when a good piece cannot be stored', () => {
  it('on a full piece directory: "lost!", exit 75, no temporary left; the retried delivery stores it', async (context) => {
    const disk = smallDisk(context, '256k');
    const pieces = join(disk, 'pieces');
    mkdirSync(pieces);
    writeFileSync(join(disk, 'filler'), Buffer.alloc(240 * 1024));
    const [message] = await messagesOf('full.0001.gz', randomBytes(40_000, 3), 64000);
    const args = ['-p', pieces, '-d', join(dir, 'deltas')];
    const r = await tool('ctm_rmail', args, { input: message });
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('No space left on device');
    expect(r.stderr).toContain('ctm_rmail: full.0001.gz 1/1 lost!\n');
    expect(readdirSync(pieces)).toEqual([]);
    expect(readdirSync(join(dir, 'deltas')).filter((f) => !f.startsWith('.'))).toEqual([]);
    rmSync(join(disk, 'filler'));
    const retried = await tool('ctm_rmail', args, { input: message });
    expect(retried).toMatchObject({ code: 0, stderr: expect.stringContaining('full.0001.gz complete') });
  });

  it('bad mail still exits 1, and bad mail with a lost piece exits 75', async (context) => {
    const [good] = await messagesOf('g.0001.gz', randomBytes(40_000, 4), 64000);
    const bad = good!.replace(/CTM_MAIL END \d+/, 'CTM_MAIL END 1');
    expect((await tool('ctm_rmail', rmailDirs(), { input: bad })).code).toBe(1);
    const disk = smallDisk(context, '256k');
    mkdirSync(join(disk, 'pieces'));
    writeFileSync(join(disk, 'filler'), Buffer.alloc(240 * 1024));
    const both = await tool('ctm_rmail', ['-p', join(disk, 'pieces'), '-d', join(dir, 'deltas')], {
      input: bad + good,
    });
    expect(both.code).toBe(75);
  });
});

describe('ctm_rmail: exit 75 when the build lock cannot be had', () => {
  it('says why, exits 75, and stores nothing', async () => {
    writeFileSync(join(dir, 'deltas/.mutex_build.lock'), 'not a lock\n');
    const [message] = await messagesOf('l.0001.gz', randomBytes(500, 8), 64000);
    const r = await tool('ctm_rmail', rmailDirs(), { input: message });
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('.mutex_build.lock exists and is not a lock directory');
    expect(r.stderr).not.toContain('message contains no delta');
    expect(readdirSync(join(dir, 'pieces'))).toEqual([]);
  });
});

describe('ctm_smail: more pieces than ctm_rmail accepts', () => {
  it('refuses -m 1 on an 800 KB delta up front (over 999,999 pieces): nothing sent, nothing queued', async () => {
    writeFileSync(join(dir, 'big.0001.gz'), randomBytes(800_000));
    for (const how of [
      ['--mbox', join(dir, 'mbox')],
      ['-q', join(dir, 'q')],
    ]) {
      const r = await tool('ctm_smail', ['-m', '1', ...how, join(dir, 'big.0001.gz'), 'list']);
      expect(r).toMatchObject({
        code: 1,
        stderr: `ctm_smail: ${join(dir, 'big.0001.gz')}: cannot send: a maximum message size of 1 bytes cuts this delta into 1081481 pieces, more than the 999999 ctm_rmail accepts: use a larger -m\n`,
      });
    }
    expect(existsSync(join(dir, 'mbox'))).toBe(false);
    expect(readdirSync(join(dir, 'q'))).toEqual([]);
  });
});

describe('ctm_smail -q killed during its final renames', () => {
  it('leaves the delta queued all at once or not at all: ctm_dequeue sends every piece', async () => {
    const q = join(dir, 'q');
    let caught = false;
    for (let attempt = 0; attempt < 5 && !caught; attempt++) {
      for (const f of readdirSync(q)) rmSync(join(q, f));
      writeFileSync(join(dir, 'k.0001.gz'), randomBytes(400_000, attempt + 1));
      const smail = spawn(
        process.execPath,
        [bin('ctm_smail'), '-m', '700', '-l', join(dir, 'log'), '-q', q, join(dir, 'k.0001.gz'), 'list'],
        { stdio: 'ignore' },
      );
      // Kill it as soon as the first piece is renamed into the queue.
      for (;;) {
        if (smail.exitCode !== null) break;
        if (readdirSync(q).some((f) => !f.startsWith('.'))) {
          smail.kill('SIGKILL');
          break;
        }
      }
      await exited(smail);
      const visible = readdirSync(q).filter((f) => !f.startsWith('.'));
      const total = Number(/\+\d+-(\d+)$/.exec(visible[0] ?? 'x+0-0')?.[1]);
      caught = smail.signalCode === 'SIGKILL' && visible.length > 0 && visible.length < total;
      if (!caught) continue;
      const sent = await tool('ctm_dequeue', ['-n', '100000', '--mbox', join(dir, 'mbox'), q]);
      expect(sent.code).toBe(0);
      const lines = sent.stderr.trim().split('\n');
      expect(lines).toEqual(
        Array.from({ length: total }, (_, i) => `ctm_dequeue: k.0001.gz ${i + 1}/${total} sent`),
      );
      expect(readdirSync(q)).toEqual([]);
    }
    expect(caught, 'ctm_smail was never caught between its first and last rename').toBe(true);
  });
});

describe('ctm_dequeue: a claim of a dead ctm_dequeue whose pid was reused', () => {
  it('is put back and sent (the claim names its owner with its start time)', async () => {
    const q = join(dir, 'q');
    writeFileSync(join(dir, 'c.0001.gz'), randomBytes(500));
    expect((await tool('ctm_smail', ['-q', q, join(dir, 'c.0001.gz'), 'list'])).code).toBe(0);
    const hang = join(dir, 'sendmail');
    writeFileSync(hang, '#!/bin/sh\nexec sleep 60\n');
    chmodSync(hang, 0o755);
    const dequeue = spawn(process.execPath, [bin('ctm_dequeue'), '--sendmail', hang, q], {
      stdio: 'ignore',
      detached: true,
    });
    let claim: string | undefined;
    while (!claim) {
      claim = readdirSync(q).find((f) => f.startsWith('.claim.'));
      if (!claim) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // kill -9 the ctm_dequeue (and its hanging sendmail), then give its pid to a live process: this one.
    process.kill(-dequeue.pid!, 'SIGKILL');
    await exited(dequeue);
    const m = /^\.claim\.(\d+)(-\d+)?\.(.+)$/.exec(claim)!;
    expect(Number(m[1])).toBe(dequeue.pid);
    renameSync(join(q, claim), join(q, `.claim.${process.pid}${m[2] ?? ''}.${m[3]}`));
    const r = await tool('ctm_dequeue', ['--mbox', join(dir, 'mbox'), q]);
    expect(r).toMatchObject({ code: 0, stderr: 'ctm_dequeue: c.0001.gz 1/1 sent\n' });
    expect(readdirSync(q)).toEqual([]);
  });
});

describe('ctm_rmail -b: what ctm says is logged whole', () => {
  it('logs a character that ctm wrote in two pieces (a UTF-8 name split between reads) unmangled', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    writeFileSync(join(tree, '.ctm_status'), 'src 0\n');
    writeFileSync(join(dir, 'deltas/src.0001.gz'), 'any');
    const ctm = join(dir, 'fake-ctm');
    writeFileSync(ctm, "#!/bin/sh\nprintf '> FM caf\\303'\nsleep 0.3\nprintf '\\251\\n'\n");
    chmodSync(ctm, 0o755);
    const r = await tool('ctm_rmail', ['-d', join(dir, 'deltas'), '-b', tree, '--ctm', ctm]);
    expect(r.stderr).toBe('ctm_rmail: ctm: > FM caf\u00e9\nctm_rmail: src.0001.gz applied\n');
  });
});
