import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimeUuidGenerator } from '../src/index.js';
import { fileClockStore } from '../src/node/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'suite-uuid-clock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fileClockStore', () => {
  it('loads nothing from a missing file, then round-trips the state in libuuid clock.txt form', async () => {
    const path = join(dir, 'clock.txt');
    const store = fileClockStore(path);
    expect(store.load()).toBeUndefined();
    const ticks = 12_219_292_800_000n * 10_000n + 16_455_577_420_001_234n;
    store.save({ clockSeq: 0x2f3a, ticks, node: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    expect(await readFile(path, 'utf8')).toBe(
      'clock: 2f3a tv: 0000001645557742 00000123 adj: 00000004 node: 010203040506\n',
    );
    expect(store.load()).toEqual({ clockSeq: 0x2f3a, ticks, node: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    expect(await readdir(dir)).toEqual(['clock.txt']); // no temporary file left
  });

  it('reads a file written by libuuid (no node) and treats garbage as no state', async () => {
    const path = join(dir, 'clock.txt');
    await writeFile(path, 'clock: 0a1b tv: 0000001645557742 00500000 adj: 00000003\n');
    expect(fileClockStore(path).load()).toEqual({
      clockSeq: 0x0a1b,
      ticks: 12_219_292_800_000n * 10_000n + 16_455_577_425_000_003n,
    });
    await writeFile(path, 'clock: zz\n');
    expect(fileClockStore(path).load()).toBeUndefined();
  });

  it('keeps a restarted process from repeating a (timestamp, clock sequence) pair', () => {
    const path = join(dir, 'clock.txt');
    // Two processes one after the other, each making 50 000 v1 UUIDs with the same state file.
    const script = `
      import { TimeUuidGenerator, unsafeStringify } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      import { fileClockStore } from ${JSON.stringify(new URL('../dist/node/index.js', import.meta.url).href)};
      const gen = new TimeUuidGenerator({ store: fileClockStore(${JSON.stringify(path)}) });
      const out = [];
      for (let i = 0; i < 50000; i++) out.push(unsafeStringify(gen.next()));
      process.stdout.write(out.join('\\n'));`;
    const run = () => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n');
    };
    const first = run();
    const second = run();
    expect(new Set([...first, ...second]).size).toBe(100_000);
    // Inside the lease, the second run took the next clock sequence.
    const seq = (u: string) => Number.parseInt(u.slice(19, 23), 16) & 0x3fff;
    expect(seq(second[0] as string)).toBe((seq(first[0] as string) + 1) & 0x3fff);
  });

  it('works as the store of a generator in this process', () => {
    const path = join(dir, 'clock.txt');
    const gen = new TimeUuidGenerator({ store: fileClockStore(path) });
    gen.next();
    expect(fileClockStore(path).load()?.clockSeq).toBe(gen.clockSeq);
  });
});
