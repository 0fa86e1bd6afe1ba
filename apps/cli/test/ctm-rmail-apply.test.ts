import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin } from './_support.js';

const run = promisify(execFile);
const tool = (name: string, args: string[]) =>
  run(process.execPath, [bin(name), ...args], { encoding: 'utf8' });

function write(root: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
}

function files(root: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, files(root, path));
    else out[path] = readFileSync(join(root, path), 'utf8');
  }
  return out;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-rmail-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ctm diff → ctm_smail → ctm_rmail -b (which runs our ctm)', () => {
  it('rebuilds two deltas from a mailbox and applies them in order: the mirror ends equal to the publisher', async () => {
    const [v0, v1, v2, mirror, pieces, deltas] = ['v0', 'v1', 'v2', 'mirror', 'pieces', 'deltas'].map((d) =>
      join(dir, d),
    );
    const body = (tag: string) =>
      Array.from({ length: 60 }, (_, i) => `row ${i}${i === 30 ? tag : ''}\n`).join('');
    write(v0!, { '.ctm_status': 'src 0\n', 'a.c': body(''), 'gone.c': 'x\n' });
    write(v1!, { 'a.c': body(' one'), 'lib/b.c': 'b\n' });
    write(v2!, { 'a.c': body(' two'), 'lib/b.c': 'b2\n', 'lib/c.c': 'c\n' });
    cpSync(v0!, mirror!, { recursive: true });
    mkdirSync(pieces!);
    mkdirSync(deltas!);
    await tool('ctm', ['diff', v0!, v1!, 'src', '1', '-o', join(dir, 'src.0001.gz')]);
    write(v1!, { '.ctm_status': 'src 1\n' });
    await tool('ctm', ['diff', v1!, v2!, 'src', '2', '-o', join(dir, 'src.0002.gz')]);
    const mbox = join(dir, 'mbox');
    // Delta 2 is mailed first: ctm_rmail must still apply 1 before 2.
    await tool('ctm_smail', ['-m', '400', '--mbox', mbox, join(dir, 'src.0002.gz'), 'mirror']);
    await tool('ctm_smail', ['-m', '400', '--mbox', mbox, join(dir, 'src.0001.gz'), 'mirror']);
    const { stderr } = await tool('ctm_rmail', ['-p', pieces!, '-d', deltas!, '-b', mirror!, mbox]);
    expect(stderr).toMatch(/src\.0001\.gz applied[\s\S]*src\.0002\.gz applied/);
    expect(stderr).toContain('ctm: > FN a.c');
    const want = files(v2!);
    expect(files(mirror!)).toEqual({ ...want, '.ctm_status': 'src 2\n' });
  });
});
