import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDeltaFile } from '../src/node/delta.js';

// kill -9 a real process at random points of pass 3, then rerun: every file is old or new meanwhile, and the rerun
// ends with the new tree. Uses the built dist (as a user would), so run `npx tsup` first.
const dist = fileURLToPath(new URL('../dist/delta/node.js', import.meta.url));
const FILES = 800;
let dir: string;

function tree(root: string, version: 'old' | 'new'): void {
  for (let i = 0; i < FILES; i++) {
    const sub = join(root, `d${i % 15}`);
    mkdirSync(sub, { recursive: true });
    if (version === 'new' && i % 10 === 3) continue; // removed
    const lines = Array.from(
      { length: 30 },
      (_, l) => `file ${i} line ${l}${version === 'new' && l === 7 ? ' changed' : ''}\n`,
    );
    writeFileSync(join(sub, `f${i}`), lines.join(''));
  }
  if (version === 'new') {
    mkdirSync(join(root, 'added'), { recursive: true });
    for (let i = 0; i < 100; i++) writeFileSync(join(root, 'added', `n${i}`), `new ${i}\n`);
  }
}

function contents(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path);
      else out.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  walk('');
  return out;
}

/** Runs an apply in a child process; kills it with SIGKILL after it has reported `killAfter` records. */
function applyInChild(delta: string, target: string, killAfter?: number): Promise<number | string> {
  const script = `import { applyDeltaFile } from ${JSON.stringify(dist)};
    const r = await applyDeltaFile(process.argv[1], process.argv[2], { report: (l) => process.stderr.write(l + '\\n') });
    process.exitCode = r.status;`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, delta, target], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let seen = 0;
    let buffered = '';
    child.stderr.on('data', (d: Buffer) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('> ') && ++seen === killAfter) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(signal ?? code ?? -1));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-kill-'));
  tree(join(dir, 'old'), 'old');
  tree(join(dir, 'new'), 'new');
  await writeDeltaFile(join(dir, 'old'), join(dir, 'new'), join(dir, 'k.0001.gz'), {
    name: 'k',
    number: 1,
    date: new Date(),
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kill -9 during apply', () => {
  it('leaves every file old or new, and a rerun ends identical to NEW', async () => {
    const olds = contents(join(dir, 'old'));
    const news = contents(join(dir, 'new'));
    // Random points among the ~900 records (each failure message names its point), plus the very first.
    const points = [1, ...Array.from({ length: 4 }, () => 2 + Math.floor(Math.random() * 880))];
    let interrupted = 0;
    for (const [round, killAfter] of points.entries()) {
      const target = join(dir, `t${round}`);
      tree(target, 'old');
      const first = await applyInChild(join(dir, 'k.0001.gz'), target, killAfter);
      if (first === 'SIGKILL') interrupted++;
      for (const [name, content] of contents(target)) {
        if (name === '.ctm_status' || name === '.ctm_applying' || name.endsWith('.ctmtmp')) continue;
        expect([olds.get(name), news.get(name)], `${name} after kill at ${killAfter}`).toContain(content);
      }
      expect(await applyInChild(join(dir, 'k.0001.gz'), target)).toBe(0);
      const after = contents(target);
      expect(after.get('.ctm_status')).toBe('k 1\n');
      after.delete('.ctm_status');
      expect(after).toEqual(news);
      rmSync(target, { recursive: true, force: true });
    }
    expect(interrupted).toBeGreaterThanOrEqual(points.length / 2);
  }, 240_000);
});
