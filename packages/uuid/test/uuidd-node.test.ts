import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimeUuidGenerator } from '../src/index.js';
import {
  UuiddCallError,
  UuiddClient,
  UuiddServer,
  type UuiddServerEvent,
  type UuiddServerOptions,
} from '../src/node/uuidd.js';

let dir: string;
let socketPath: string;
const servers: UuiddServer[] = [];
const sockets: Socket[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uuidd-node-'));
  socketPath = join(dir, 'request');
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Which way the servers started by the current test serve connections (both ways run every test below). */
let fastPath = true;

async function start(options: Partial<UuiddServerOptions> = {}): Promise<UuiddServer> {
  const server = await UuiddServer.listen(socketPath, {
    time: new TimeUuidGenerator(),
    fastPath,
    ...options,
  });
  servers.push(server);
  // Node 20 to 24 have the internals the fast path needs: it must not fall back there unnoticed.
  expect(server.fastPath).toBe(fastPath && hasStreamWrap());
  return server;
}

/** Whether this Node lets the fast path reach its internals (elsewhere the server must fall back by itself). */
function hasStreamWrap(): boolean {
  try {
    const binding = (process as unknown as { binding(name: string): { WriteWrap?: unknown } }).binding(
      'stream_wrap',
    );
    return typeof binding.WriteWrap === 'function' && !process.env.UUIDD_NO_FAST_PATH;
  } catch {
    return false;
  }
}

describe('UuiddServer: the fast path is opt-in', () => {
  it('serves on a net.Socket per connection when no fastPath option is given (public API only)', async () => {
    const server = await UuiddServer.listen(socketPath, { time: new TimeUuidGenerator() });
    servers.push(server);
    expect(server.fastPath).toBe(false);
    let connections = 0;
    server.server.on('connection', () => connections++); // net.Server emits these only off the fast path
    expect(await new UuiddClient({ socketPath }).random()).toMatch(/^[0-9a-f-]{36}$/);
    expect(connections).toBe(1);
  });

  it('serves on raw handles with fastPath: true, where this Node has the internals it needs', async () => {
    const server = await UuiddServer.listen(socketPath, { time: new TimeUuidGenerator(), fastPath: true });
    servers.push(server);
    expect(server.fastPath).toBe(hasStreamWrap());
    let connections = 0;
    server.server.on('connection', () => connections++);
    expect(await new UuiddClient({ socketPath }).random()).toMatch(/^[0-9a-f-]{36}$/);
    expect(connections).toBe(server.fastPath ? 0 : 1);
  });
});

const ways = [
  { way: 'on raw handles (fast path)', fast: true },
  { way: 'on net.Socket', fast: false },
];

/** Opens a raw connection, sends `bytes` (if any) and resolves with everything the server sent before closing. */
function raw(bytes: Uint8Array | undefined, { end = true } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    sockets.push(socket);
    const chunks: Buffer[] = [];
    socket.on('connect', () => {
      if (bytes !== undefined) socket.write(bytes);
      if (end) socket.end();
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

const V1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(ways)('UuiddClient against UuiddServer $way', ({ fast }) => {
  beforeEach(() => {
    fastPath = fast;
  });

  it('serves time, random, bulk time, bulk random and pid', async () => {
    await start({ pid: 4321 });
    const client = new UuiddClient({ socketPath });
    expect(await client.time()).toMatch(V1);
    expect(await client.random()).toMatch(V4);
    expect(await client.pid()).toBe(4321);
    const range = await client.bulkTime(10);
    expect(range).toHaveLength(10);
    for (const uuid of range) expect(uuid).toMatch(V1);
    expect(new Set(range).size).toBe(10);
    const randoms = await client.bulkRandom(100);
    expect(randoms).toHaveLength(63); // one reply holds at most 63, as util-linux's
    for (const uuid of randoms) expect(uuid).toMatch(V4);
  });

  it('hands out time UUIDs after a bulk range that do not fall inside it', async () => {
    await start();
    const client = new UuiddClient({ socketPath });
    const range = await client.bulkTime(1000);
    const next = await client.time();
    expect(range).not.toContain(next);
    const ticks = (uuid: string) => BigInt(`0x${uuid.slice(15, 18)}${uuid.slice(9, 13)}${uuid.slice(0, 8)}`);
    expect(ticks(next)).toBeGreaterThan(ticks(range.at(-1)!));
  });

  it('makes the socket accessible to every user, as util-linux does', async () => {
    await start();
    expect(statSync(socketPath).mode & 0o777).toBe(0o777);
  });

  it('replaces a stale socket file and removes its own on close', async () => {
    writeFileSync(socketPath, 'stale');
    const server = await start();
    expect(await new UuiddClient({ socketPath }).pid()).toBe(process.pid);
    await server.close();
    expect(() => statSync(socketPath)).toThrow(/ENOENT/);
  });

  it('leaves alone a socket that another server bound on its path since, when it closes', async () => {
    const first = await start({ pid: 1111 });
    const second = await start({ pid: 2222 });
    expect(await new UuiddClient({ socketPath }).pid()).toBe(2222);
    await first.close();
    expect(await new UuiddClient({ socketPath }).pid()).toBe(2222); // still reachable
    await second.close();
    expect(() => statSync(socketPath)).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]); // no temporary name left behind
  });

  it('fails with the step and the system error when no daemon listens', async () => {
    const error = await new UuiddClient({ socketPath }).time().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UuiddCallError);
    expect(error).toMatchObject({ step: 'connect', code: 'ENOENT' });
  });
});

describe.each(ways)('UuiddServer robustness $way', ({ fast }) => {
  beforeEach(() => {
    fastPath = fast;
  });

  it('keeps serving others while a client connects and sends nothing', async () => {
    await start();
    const silent = connect(socketPath);
    sockets.push(silent);
    await new Promise((resolve) => silent.on('connect', resolve));
    const client = new UuiddClient({ socketPath, timeout: 2000 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.time()));
    expect(new Set(answers).size).toBe(20);
  });

  it('disconnects a silent client after the read timeout and counts it', async () => {
    const events: UuiddServerEvent[] = [];
    const server = await start({ readTimeout: 100, onEvent: (event) => events.push(event) });
    const started = Date.now();
    const reply = await raw(undefined, { end: false });
    expect(reply.length).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.stats.timedOut).toBe(1);
    expect(events).toContainEqual({ type: 'timeout', timedOut: 1 });
  });

  it('closes without a reply on a bad operation, an empty request or a short count, and counts them', async () => {
    const events: UuiddServerEvent[] = [];
    const server = await start({ onEvent: (event) => events.push(event) });
    expect((await raw(Uint8Array.of(6))).length).toBe(0);
    expect((await raw(Uint8Array.of(255, 1, 2))).length).toBe(0);
    expect((await raw(undefined)).length).toBe(0);
    expect((await raw(Uint8Array.of(4, 10, 0))).length).toBe(0);
    expect(server.stats.malformed).toBe(4);
    const reasons = events.flatMap((e) => (e.type === 'malformed' ? [e.reason] : []));
    expect(reasons).toEqual([
      'invalid operation 6',
      'invalid operation 255',
      'empty request',
      'truncated request of 3 bytes',
    ]);
    // and it still serves
    expect(await new UuiddClient({ socketPath }).random()).toMatch(V4);
    expect(server.stats.requests).toBe(1);
    expect(events.filter((e) => e.type === 'connection')).toHaveLength(5);
  });

  it('assembles a request that arrives one byte at a time', async () => {
    await start();
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(socketPath);
      sockets.push(socket);
      const chunks: Buffer[] = [];
      const bytes = [5, 3, 0, 0, 0];
      socket.on('connect', async () => {
        for (const byte of bytes) {
          socket.write(Uint8Array.of(byte));
          await new Promise((r) => setTimeout(r, 10));
        }
      });
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    });
    expect(reply.readInt32LE(0)).toBe(4 + 3 * 16);
    expect(reply.readInt32LE(4)).toBe(3);
    expect(reply.length).toBe(8 + 48);
  });

  it('refuses a bulk time request above the cap without a reply', async () => {
    const server = await start({ maxBulkTime: 100 });
    expect((await raw(Uint8Array.of(4, 101, 0, 0, 0))).length).toBe(0);
    expect(server.stats.refused).toBe(1);
    const ok = await raw(Uint8Array.of(4, 100, 0, 0, 0));
    expect(ok.readInt32LE(0)).toBe(20);
    expect(ok.readInt32LE(20)).toBe(100);
  });
});
