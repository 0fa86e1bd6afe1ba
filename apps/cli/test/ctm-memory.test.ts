// Memory stays bounded whatever the input: measured as the peak RSS of the real child process (its own
// process.resourceUsage().maxRSS, written at exit by a preloaded module), never by timings.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin } from './_support.js';

const MiB = 1024 * 1024;
/**
 * The bound the READMEs state, with room for Node itself (about 45 MiB here), on Node 20. Newer majors' garbage
 * collectors let more short-lived garbage pile up before collecting (measured here with a 16 and a 160 MiB line:
 * Node 20 86 and 91 MB, Node 24 137 and 169 MB), so they get 64 MiB more; still far below what the input would
 * need if it were kept (160 MiB and more).
 */
const BOUND = (Number(process.versions.node.split('.')[0]) > 20 ? 192 : 128) * MiB;

let dir: string;
let preload: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-memory-'));
  preload = join(dir, 'peak-rss.mjs');
  writeFileSync(
    preload,
    "import { writeFileSync } from 'node:fs';\n" +
      "process.on('exit', () => writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)));\n",
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one of our bins with its stdin fed by `feed`; resolves to its exit status, stderr and peak RSS in bytes. */
function measured(
  name: string,
  args: string[],
  cwd: string,
  feed: (stdin: NodeJS.WritableStream) => Promise<void>,
): Promise<{ code: number | null; stderr: string; peak: number }> {
  const out = join(dir, `${name}.rss`);
  return new Promise((resolve, reject) => {
    // Through a shell that forks: Linux keeps a process's peak RSS across exec, so a child exec'd straight from
    // this (big) test process would report our peak, not its own.
    const argv = [process.execPath, '--import', pathToFileURL(preload).href, bin(name), ...args];
    const child = spawn('/bin/sh', ['-c', '"$@"; exit $?', 'sh', ...argv], {
      cwd,
      env: { ...process.env, PEAK_RSS_FILE: out },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {});
    feed(child.stdin).then(() => child.stdin.end(), reject);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, peak: Number(readFileSync(out, 'utf8')) }));
  });
}

function write(stdin: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (stdin.write(bytes)) resolve();
    else stdin.once('drain', resolve);
  });
}

describe('ctm: an FM or FS record streams to its file', () => {
  it('applies a 160 MiB FM record (a 200 KB gzip delta) with a peak RSS under 128 MiB', async () => {
    const size = 160 * MiB;
    const hash = createHash('md5');
    const zero = Buffer.alloc(MiB);
    for (let i = 0; i < size / MiB; i++) hash.update(zero);
    const head = Buffer.from(
      `CTM_BEGIN 2.0 test 1 20250102030405Z .\nCTMFM big 0 0 644 ${hash.digest('hex')} ${size}\n`,
    );
    // The whole-delta MD5 covers every byte up to "CTM_END ": computed as the data streams by.
    const whole = createHash('md5').update(head);
    for (let i = 0; i < size / MiB; i++) whole.update(zero);
    whole.update('\nCTM_END ');
    const { createGzip } = await import('node:zlib');
    const gzip = createGzip({ level: 1 });
    const parts: Buffer[] = [];
    gzip.on('data', (d: Buffer) => parts.push(d));
    const ended = new Promise((resolve) => gzip.on('end', resolve));
    gzip.write(head);
    for (let i = 0; i < size / MiB; i++) gzip.write(zero);
    gzip.end(Buffer.from(`\nCTM_END ${whole.digest('hex')}\n`));
    await ended;
    const delta = join(dir, 'test.0001.gz');
    writeFileSync(delta, Buffer.concat(parts));
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    const run = await measured('ctm', ['-q', delta], tree, async () => {});
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(statSync(join(tree, 'big')).size).toBe(size);
    expect(run.peak).toBeLessThan(BOUND);
  });

  it('refuses a record whose data ends early (a gzip delta claiming 2^31-1 bytes) without holding the claim', async () => {
    const head = `CTM_BEGIN 2.0 test 1 20250102030405Z .\nCTMFM big 0 0 644 ${'0'.repeat(32)} ${2 ** 31 - 1}\n`;
    const delta = join(dir, 'test.0001.gz');
    writeFileSync(delta, gzipSync(Buffer.concat([Buffer.from(head), Buffer.alloc(160 * MiB)]), { level: 1 }));
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    const run = await measured('ctm', ['-q', delta], tree, async () => {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Truncated patch.');
    expect(run.peak).toBeLessThan(BOUND);
  });
});

describe('ctm_rmail: a line is capped', () => {
  it('reads a 160 MiB line without a newline from stdin with a peak RSS under 128 MiB', async () => {
    const pieces = join(dir, 'pieces');
    const deltas = join(dir, 'deltas');
    mkdirSync(pieces);
    mkdirSync(deltas);
    const chunk = Buffer.alloc(MiB, 'C');
    const run = await measured('ctm_rmail', ['-p', pieces, '-d', deltas], dir, async (stdin) => {
      for (let i = 0; i < 160; i++) await write(stdin, chunk);
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('ctm_rmail: message contains no delta\n');
    expect(run.peak).toBeLessThan(BOUND);
  });

  it('discards a piece holding an endless line ("line 2: line too long") with a peak RSS under 128 MiB', async () => {
    const pieces = join(dir, 'pieces');
    const deltas = join(dir, 'deltas');
    mkdirSync(pieces);
    mkdirSync(deltas);
    const chunk = Buffer.alloc(MiB, 'A');
    const run = await measured('ctm_rmail', ['-p', pieces, '-d', deltas], dir, async (stdin) => {
      await write(stdin, Buffer.from('CTM_MAIL BEGIN x.0001.gz 1 1\n'));
      for (let i = 0; i < 160; i++) await write(stdin, chunk);
      await write(stdin, Buffer.from('\nCTM_MAIL END 65535\n'));
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('ctm_rmail: line 2: line too long\nctm_rmail: x.0001.gz 1/1 discarded\n');
    expect(run.peak).toBeLessThan(BOUND);
  });
});
