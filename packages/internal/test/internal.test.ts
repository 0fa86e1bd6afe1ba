import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BYTE_TO_HEX,
  errnoText,
  HEX_VALUE,
  hexOf,
  latin1Bytes,
  latin1String,
  md5,
  md5Hex,
  portableMd5,
  RandomPool,
  randomFill,
  setRandomFill,
  strerror,
  webCryptoFill,
} from '../src/index.js';
import { isProcessAlive, processStartTime, procStat } from '../src/node/index.js';
import { deadPid, freePort, isAlive } from '../testing/index.js';

const nodeMd5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
const ascii = (s: string) => new TextEncoder().encode(s);

describe('md5', () => {
  it("gives RFC 1321's test-suite digests, one-shot and streaming", () => {
    const suite: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      [
        '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
        '57edf4a22be3c955ac49da2e2107b67a',
      ],
    ];
    for (const [text, digest] of suite) {
      expect(hexOf(md5(ascii(text), new Uint8Array(16)))).toBe(digest);
      expect(md5Hex(ascii(text))).toBe(digest);
    }
  });

  it('agrees with node:crypto at every length around the block and padding edges, fed in uneven pieces', () => {
    for (let n = 0; n < 300; n++) {
      const bytes = randomBytes(n);
      expect(hexOf(md5(bytes, new Uint8Array(16)))).toBe(nodeMd5(bytes));
      const h = portableMd5();
      for (let at = 0; at < n; at += 1 + (at % 7))
        h.update(bytes.subarray(at, Math.min(n, at + 1 + (at % 7))));
      expect(h.hex()).toBe(nodeMd5(bytes));
    }
  });

  it('md5Hex uses the factory it is given', () => {
    const calls: number[] = [];
    const spy = () => ({ update: (b: Uint8Array) => calls.push(b.length), hex: () => 'x' });
    expect(md5Hex(ascii('abcd'), spy)).toBe('x');
    expect(calls).toEqual([4]);
  });
});

describe('hex', () => {
  it('formats every byte as two lowercase digits and reads digits of both cases back', () => {
    expect(BYTE_TO_HEX).toHaveLength(256);
    expect(hexOf(Uint8Array.of(0, 9, 10, 0xab, 0xff))).toBe('00090aabff');
    expect([...'09afAF'].map((c) => HEX_VALUE[c.charCodeAt(0)])).toEqual([0, 9, 10, 15, 10, 15]);
    expect(HEX_VALUE['g'.charCodeAt(0)]).toBe(0xff);
  });
});

describe('latin1', () => {
  it('maps each byte to one character and back, slices included, past the 4096-byte chunk', () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
    const text = latin1String(bytes);
    expect(text).toBe(Buffer.from(bytes).toString('latin1'));
    expect(latin1Bytes(text)).toEqual(bytes);
    expect(latin1String(bytes, 5000, 9000)).toBe(Buffer.from(bytes.subarray(5000, 9000)).toString('latin1'));
    expect(latin1String(Uint8Array.of(0x61, 0xe9))).toBe('a\xe9');
  });
});

describe('strerror', () => {
  it("gives glibc's text for a known code and the error's own message otherwise", () => {
    expect(strerror(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('No such file or directory');
    expect(strerror(Object.assign(new Error('spawn x ENOEXEC'), { code: 'ENOEXEC' }))).toBe(
      'Exec format error',
    );
    expect(strerror(Object.assign(new Error('odd'), { code: 'EWHATEVER' }))).toBe('odd');
    expect(strerror(Object.assign(new Error('proto'), { code: 'constructor' }))).toBe('proto');
    expect(strerror('plain')).toBe('plain');
    expect(errnoText('EPIPE')).toBe('Broken pipe');
    expect(errnoText(undefined)).toBeUndefined();
    expect(errnoText('toString')).toBeUndefined();
  });
});

describe('random pool', () => {
  it('hands out fresh bytes from one buffer and refills it, through the random source in force', () => {
    const fills: number[] = [];
    let next = 1;
    setRandomFill((bytes) => {
      fills.push(bytes.length);
      bytes.fill(next++);
    });
    try {
      const pool = new RandomPool(32);
      expect(pool.take(16)).toBe(0);
      expect(pool.take(16)).toBe(16);
      expect(fills).toEqual([32]);
      expect(pool.bytes[0]).toBe(1);
      expect(pool.take(8)).toBe(0);
      expect(fills).toEqual([32, 32]);
      expect(pool.bytes[0]).toBe(2);
      const out = new Uint8Array(4);
      randomFill(out);
      expect([...out]).toEqual([3, 3, 3, 3]);
    } finally {
      setRandomFill(webCryptoFill);
    }
  });

  it('fills more than the 65536 bytes getRandomValues takes at once', () => {
    const big = new Uint8Array(200_000);
    randomFill(big);
    expect(big.subarray(150_000).some((b) => b !== 0)).toBe(true);
  });
});

describe('process liveness (Node)', () => {
  it('finds this process alive, with its start time, and not with another start time', () => {
    const start = processStartTime(process.pid);
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(process.pid, start)).toBe(true);
    if (start !== undefined) expect(isProcessAlive(process.pid, start + 1)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
  });

  it('finds an exited and reaped child dead, and a bad pid dead', async () => {
    const pid = await deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    expect(isAlive(pid)).toBe(false);
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
    expect(isProcessAlive(1.5)).toBe(false);
  });

  it.runIf(procStat(process.pid) !== undefined)('finds a zombie (exited, not yet reaped) dead', async () => {
    // A shell whose child exits while the shell sleeps without waiting for it: the child is a zombie.
    const sh = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = Number(
        await new Promise<string>((resolve) => sh.stdout.once('data', (d) => resolve(`${d}`))),
      );
      for (let i = 0; i < 100 && procStat(zombie)?.state !== 'Z'; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(procStat(zombie)?.state).toBe('Z');
      expect(isProcessAlive(zombie)).toBe(false);
      expect(isAlive(zombie)).toBe(false);
    } finally {
      sh.kill('SIGKILL');
    }
  });
});

describe('test fixtures', () => {
  it('freePort gives a port nobody listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
