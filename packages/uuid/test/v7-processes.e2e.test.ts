import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PER_PROCESS = 1_000_000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'suite-uuid-v7-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A child that makes PER_PROCESS v7 UUIDs (through `v7()` into one buffer) and writes their bytes to `file`. */
function child(file: string): Promise<void> {
  const entry = new URL('../dist/node/main.js', import.meta.url).href;
  const script = `
    import { writeFileSync } from 'node:fs';
    import { v7 } from ${JSON.stringify(entry)};
    const buf = new Uint8Array(16 * ${PER_PROCESS});
    for (let i = 0; i < ${PER_PROCESS}; i++) v7(undefined, buf, 16 * i);
    writeFileSync(${JSON.stringify(file)}, buf);`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

function cmp(a: Buffer, i: number, b: Buffer, j: number): number {
  return a.compare(b, j, j + 16, i, i + 16);
}

describe('v7 from 4 processes at once', () => {
  it('gives 4 000 000 UUIDs without a duplicate, each process strictly increasing', async () => {
    const files = [0, 1, 2, 3].map((i) => join(dir, `v7-${i}.bin`));
    await Promise.all(files.map(child));
    const runs = await Promise.all(files.map((f) => readFile(f)));
    for (const run of runs) {
      expect(run.length).toBe(16 * PER_PROCESS);
      let increasing = true;
      for (let i = 16; i < run.length; i += 16) if (cmp(run, i - 16, run, i) >= 0) increasing = false;
      expect(increasing).toBe(true);
    }
    // A 4-way merge of the sorted runs: a duplicate would show up as two equal neighbours.
    const at = [0, 0, 0, 0];
    let prev: [Buffer, number] | undefined;
    let total = 0;
    let duplicates = 0;
    for (;;) {
      let best = -1;
      for (let r = 0; r < 4; r++) {
        if ((at[r] as number) >= (runs[r] as Buffer).length) continue;
        if (best < 0 || cmp(runs[r] as Buffer, at[r] as number, runs[best] as Buffer, at[best] as number) < 0)
          best = r;
      }
      if (best < 0) break;
      const run = runs[best] as Buffer;
      const i = at[best] as number;
      if (prev && cmp(prev[0], prev[1], run, i) === 0) duplicates++;
      prev = [run, i];
      at[best] = i + 16;
      total++;
    }
    expect(total).toBe(4 * PER_PROCESS);
    expect(duplicates).toBe(0);
  });
});
