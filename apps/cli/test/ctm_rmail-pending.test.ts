import { spawn } from 'node:child_process';
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
import { bin, randomBytes, tool } from './_support.js';

let dir: string;
let pieces: string;
let deltas: string;
let mark: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-rmail-pending-'));
  pieces = join(dir, 'pieces');
  deltas = join(dir, 'deltas');
  mark = join(deltas, '.rebuilt', '.clean');
  mkdirSync(pieces);
  mkdirSync(deltas);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The mail messages ctm_smail sends for a delta `name` of `data`, cut at `m` bytes. */
async function messagesOf(name: string, data: Buffer, m: number): Promise<string[]> {
  const mbox = join(dir, `${name}.mbox`);
  writeFileSync(join(dir, name), data);
  expect((await tool('ctm_smail', [`-m${m}`, '--mbox', mbox, join(dir, name), 'ctm-list'])).code).toBe(0);
  rmSync(join(dir, name));
  return readFileSync(mbox, 'latin1')
    .split(/^From .*\n/m)
    .filter(Boolean);
}

const rmail = (input: string) => tool('ctm_rmail', ['-p', pieces, '-d', deltas], { input });

describe('ctm_rmail with deltas waiting for pieces', () => {
  it('after a run killed with SIGKILL, the next run lists the piece directory and finishes what was left', async () => {
    const [w1] = await messagesOf('w.0001.gz', randomBytes(3000, 1), 2500);
    const data = randomBytes(3000, 2);
    const [a1, a2] = await messagesOf('a.0001.gz', data, 2500);
    // A run that ends cleanly leaves the mark: the next one need not list the directory.
    expect(await rmail(w1!)).toMatchObject({ code: 0, stderr: 'ctm_rmail: w.0001.gz 1/2 stored\n' });
    expect(readFileSync(mark, 'utf8')).toBe(resolve(pieces));

    // A run that is killed once it has stored a piece (stdin still open): it took the mark with it.
    const child = spawn(process.execPath, [bin('ctm_rmail'), '-p', pieces, '-d', deltas], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((done) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('a.0001.gz 1/2 stored\n')) done();
      });
      child.stdin.write(`${a1}\n`);
    });
    const killed = new Promise((done) => child.on('close', (_, signal) => done(signal)));
    child.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    expect(existsSync(mark)).toBe(false);
    // What another run killed between the last piece of a delta and its build leaves: a complete set.
    writeFileSync(join(pieces, 'y.0001.gz+001-001'), 'whole delta');

    const next = await rmail('From: someone\n\nno pieces here\n');
    expect(next).toMatchObject({
      code: 1,
      stderr: 'ctm_rmail: message contains no delta\nctm_rmail: y.0001.gz complete\n',
    });
    expect(readFileSync(join(deltas, 'y.0001.gz'), 'latin1')).toBe('whole delta');
    expect(existsSync(mark)).toBe(true);
    expect(await rmail(a2!)).toMatchObject({
      code: 0,
      stderr: 'ctm_rmail: a.0001.gz 2/2 stored\nctm_rmail: a.0001.gz complete\n',
    });
    expect(readFileSync(join(deltas, 'a.0001.gz'))).toEqual(data);
    expect(readdirSync(pieces).sort()).toEqual(['w.0001.gz+001-002']);
  });
});
