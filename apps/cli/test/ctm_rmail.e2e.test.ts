import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitDelta } from '@suite/ctm-mail';
import { afterAll, beforeAll, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/ctm_rmail.js', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-rmail-e2e-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function messagesOf(name: string, data: Buffer, m: number): Promise<string[]> {
  const out: string[] = [];
  let at = 0;
  await splitDelta(
    {
      read: (n) => {
        const chunk = data.subarray(at, at + n);
        at += chunk.length;
        return chunk;
      },
    },
    { name, size: data.length, alias: 'ctm-list', maxMessageSize: m },
    () => {
      const parts: Buffer[] = [];
      return {
        write: (b) => void parts.push(Buffer.from(b)),
        close: () => void out.push(Buffer.concat(parts).toString('latin1')),
      };
    },
  );
  return out;
}

function run(args: string[]) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

it('8 concurrent ctm_rmail fed overlapping random shares of 10 deltas build each exactly once, lose nothing, all exit 0', async () => {
  const seed = Number(process.env.CTM_E2E_SEED ?? Date.now() % 100_000);
  const random = rng(seed);
  const deltas = new Map<string, Buffer>();
  const all: string[] = [];
  for (let i = 1; i <= 10; i++) {
    const name = `src-cur.${String(i).padStart(4, '0')}.gz`;
    const data = Buffer.alloc(1000 + Math.floor(random() * 20_000));
    for (let j = 0; j < data.length; j++) data[j] = Math.floor(random() * 256);
    deltas.set(name, data);
    all.push(...(await messagesOf(name, data, 1200)));
  }
  const shares: string[][] = Array.from({ length: 8 }, () => []);
  for (const message of all) {
    let taken = false;
    for (const share of shares) {
      if (random() < 0.35) {
        share.push(message);
        taken = true;
      }
    }
    if (!taken) shares[Math.floor(random() * 8)]!.push(message);
  }
  for (const [i, share] of shares.entries()) {
    for (let k = share.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [share[k], share[j]] = [share[j]!, share[k]!];
    }
    const mbox = share.map(
      (m) =>
        `From ctm Sat Nov 21 07:00:00 2026\n${m}\nFrom friend Sat Nov 21 07:00:01 2026\nSubject: other mail\n\nhello\n\n`,
    );
    writeFileSync(join(dir, `share${i}`), mbox.join(''));
  }
  mkdirSync(join(dir, 'pieces'));
  mkdirSync(join(dir, 'deltas'));
  const runs = await Promise.all(
    shares.map((_, i) => run(['-p', join(dir, 'pieces'), '-d', join(dir, 'deltas'), join(dir, `share${i}`)])),
  );
  const context = `seed ${seed}\n${runs.map((r) => r.stderr).join('\n')}`;
  expect(
    runs.map((r) => r.code),
    context,
  ).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  const completes = runs.flatMap((r) => r.stderr.match(/^ctm_rmail: \S+ complete$/gm) ?? []).sort();
  expect(completes, context).toEqual([...deltas.keys()].map((name) => `ctm_rmail: ${name} complete`));
  for (const [name, data] of deltas)
    expect(readFileSync(join(dir, 'deltas', name)).equals(data), name).toBe(true);
  expect(readdirSync(join(dir, 'pieces')), context).toEqual([]);
  expect(
    readdirSync(join(dir, 'deltas'))
      .filter((f) => !f.startsWith('.'))
      .sort(),
  ).toEqual([...deltas.keys()].sort());
});

it('recovers from kill -9 at random moments: the next run leaves every delta rebuilt and nothing behind', async () => {
  const seed = Number(process.env.CTM_E2E_SEED ?? Date.now() % 100_000);
  const random = rng(seed + 1);
  const deltas = new Map<string, Buffer>();
  let mbox = '';
  for (let i = 1; i <= 6; i++) {
    const name = `ports-cur.${String(i).padStart(4, '0')}.gz`;
    const data = Buffer.alloc(200_000 + Math.floor(random() * 300_000));
    for (let j = 0; j < data.length; j++) data[j] = Math.floor(random() * 256);
    deltas.set(name, data);
    for (const m of await messagesOf(name, data, 20_000)) mbox += `From ctm Sat Nov 21 07:00:00 2026\n${m}\n`;
  }
  const root = join(dir, 'kill');
  for (const d of ['', 'pieces', 'deltas']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'mbox'), mbox);
  const args = ['-p', join(root, 'pieces'), '-d', join(root, 'deltas'), join(root, 'mbox')];
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r));
    await new Promise((r) => setTimeout(r, 80 + random() * 400));
    child.kill('SIGKILL');
    await closed;
    // Some pieces of the same mailbox also arrive one by one on stdin, as an MTA delivers them (killed too).
    const piped = spawn(process.execPath, [bin, ...args.slice(0, 4)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const pipedClosed = new Promise((r) => piped.on('close', r));
    piped.stdin.on('error', () => {});
    piped.stdin.end(mbox.slice(0, Math.floor(random() * mbox.length)));
    await new Promise((r) => setTimeout(r, random() * 200));
    piped.kill('SIGKILL');
    await pipedClosed;
  }
  const last = await run(args);
  expect(last.code, `seed ${seed}\n${last.stderr}`).toBe(0);
  for (const [name, data] of deltas)
    expect(readFileSync(join(root, 'deltas', name)).equals(data), name).toBe(true);
  expect(readdirSync(join(root, 'pieces'))).toEqual([]);
  expect(
    readdirSync(join(root, 'deltas')).filter(
      (f) => f.startsWith('.') && f !== '.rebuilt' && !f.startsWith('.mutex_'),
    ),
  ).toEqual([]);
});
