import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin } from './_support.js';

// Peak memory is read from /proc (VmHWM), as Linux keeps it for each process.
const haveProc = existsSync('/proc/self/status');

/** Runs uuidparse with stdin from `input`; its exit, output size, the start of its output and peak RSS in MiB. */
function measure(
  args: readonly string[],
  input: string,
  options: { killAfterMs?: number } = {},
): Promise<{
  code: number | null;
  signal: string | null;
  bytes: number;
  head: string;
  stderr: string;
  peakMiB: number;
}> {
  return new Promise((resolve, reject) => {
    const fd = openSync(input, 'r');
    const child = spawn(process.execPath, [bin('uuidparse'), ...args], { stdio: [fd, 'pipe', 'pipe'] });
    closeSync(fd);
    let bytes = 0;
    let head = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      if (head.length < 200) head += d.toString('latin1').slice(0, 200 - head.length);
      bytes += d.length;
    });
    child.stderr?.on('data', (d) => (stderr += d));
    let peakKiB = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
      } catch {
        // it has just exited
      }
    }, 25);
    const kill =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGTERM'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      if (kill) clearTimeout(kill);
      resolve({ code, signal, bytes, head, stderr, peakMiB: peakKiB / 1024 });
    });
  });
}

let dir: string;
let big: string;
const BIG = 100 << 20;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'uuidparse-stream-'));
  big = join(dir, 'uuids.txt');
  // 100 MiB of v4 UUIDs, one per line (about 2.8 million)
  const fd = openSync(big, 'w');
  for (let written = 0; written < BIG; ) {
    const hex = randomBytes(16 * 4096).toString('hex');
    let text = '';
    for (let i = 0; i < 4096; i++) {
      const h = hex.slice(i * 32, i * 32 + 32);
      text += `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}\n`;
    }
    written += writeSync(fd, text);
  }
  closeSync(fd);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!haveProc)('uuidparse reads stdin as a stream', () => {
  it('parses 100 MiB in --raw and --json within 200 MiB of memory (it took 1.58 GB)', {
    timeout: 300_000,
  }, async () => {
    for (const args of [['-r', '-n'], ['-J']]) {
      const r = await measure(args, big);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.bytes).toBeGreaterThan(BIG);
      expect(r.peakMiB, args.join(' ')).toBeLessThan(200);
    }
  });

  it('parses 100 MiB into a human table within 450 MiB (the widths need every row first)', {
    timeout: 300_000,
  }, async () => {
    const r = await measure([], big);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.head.startsWith(`UUID${' '.repeat(34)}VARIANT TYPE       TIME\n`)).toBe(true);
    expect(r.peakMiB).toBeLessThan(450);
  });

  it('streams </dev/zero (one endless word) in --raw and --json with bounded memory until killed', {
    timeout: 60_000,
  }, async () => {
    for (const [args, start] of [
      [['-r'], 'UUID VARIANT TYPE TIME\n\\x00\\x00'],
      [['-J'], '{\n   "uuids": [\n      {\n         "uuid": "\\u0000\\u0000'],
    ] as const) {
      const r = await measure(args, '/dev/zero', { killAfterMs: 3000 });
      expect(r.signal, r.stderr).toBe('SIGTERM'); // still running: no "Invalid string length"
      expect(r.stderr).toBe('');
      expect(r.head.startsWith(start)).toBe(true);
      expect(r.bytes).toBeGreaterThan(1 << 20);
      expect(r.peakMiB).toBeLessThan(200);
    }
  });

  it('refuses </dev/zero for a human table with a message, not a crash', { timeout: 120_000 }, async () => {
    const r = await measure([], '/dev/zero');
    expect(r.code).toBe(1);
    expect(r.bytes).toBe(0);
    expect(r.stderr).toBe(
      'uuidparse: a word on stdin is longer than 64 MiB: the table needs it whole; --raw and --json stream it\n',
    );
  });
});
