import { describe, expect, it } from 'vitest';
import {
  type ClockSequenceState,
  type ClockSequenceStore,
  TimeUuidGenerator,
  timestampTicks,
  unsafeStringify,
} from '../src/index.js';

const T0 = 1_645_557_742_000; // 2022-02-22 19:22:22 UTC

function fakeClock(start = T0) {
  let now = start;
  return {
    clock: () => now,
    set: (ms: number) => {
      now = ms;
    },
    tick: (ms = 1) => {
      now += ms;
    },
  };
}

/** A deterministic random source: a counter, so tests see exactly what the generator asks for. */
function fakeRandom(seed = 0x2a) {
  let n = seed;
  return (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = n++ & 0xff;
  };
}

function memoryStore(initial?: ClockSequenceState) {
  let state = initial;
  const saves: ClockSequenceState[] = [];
  const store: ClockSequenceStore = {
    load: () => state,
    save: (s) => {
      state = s;
      saves.push(s);
    },
  };
  return {
    store,
    saves,
    get state() {
      return state;
    },
  };
}

const clockSeqOf = (b: Uint8Array) => (((b[8] as number) & 0x3f) << 8) | (b[9] as number);

describe('TimeUuidGenerator', () => {
  it('writes the RFC 9562 v1 test vector from its fields', () => {
    const c = fakeClock();
    const gen = new TimeUuidGenerator({
      clock: c.clock,
      random: () => {
        throw new Error('no randomness needed');
      },
      store: memoryStore({ clockSeq: 0x33c8, ticks: 0n }).store,
      node: Uint8Array.of(0x9f, 0x6b, 0xde, 0xce, 0xd8, 0x46),
    });
    expect(unsafeStringify(gen.next())).toBe('c232ab00-9414-11ec-b3c8-9f6bdeced846');
    expect(gen.nextString()).toBe('c232ab01-9414-11ec-b3c8-9f6bdeced846');
    expect(gen.nextV6String()).toBe('1ec9414c-232a-6b02-b3c8-9f6bdeced846');
  });

  it('picks a random non-zero 14-bit clock sequence and a random node with the multicast bit', () => {
    const gen = new TimeUuidGenerator({ clock: fakeClock().clock, random: fakeRandom(0) });
    const b = gen.next();
    expect(b[6]! >> 4).toBe(1);
    expect(b[8]! & 0xc0).toBe(0x80);
    expect(gen.node[0]! & 0x01).toBe(1);
    expect(gen.clockSeq).toBeGreaterThan(0);
    expect(gen.clockSeq).toBeLessThan(0x4000);
    expect(clockSeqOf(b)).toBe(gen.clockSeq);
  });

  it('hands out 10 000 ticks per millisecond, then borrows from the next one rather than repeat', () => {
    const c = fakeClock();
    const gen = new TimeUuidGenerator({ clock: c.clock, random: fakeRandom() });
    const seen = new Set<bigint>();
    for (let i = 0; i < 25_000; i++) seen.add(timestampTicks(gen.next()));
    expect(seen.size).toBe(25_000);
    const ticks = [...seen];
    expect(ticks[0]).toBe(BigInt(T0) * 10_000n);
    expect(ticks[24_999]).toBe(BigInt(T0) * 10_000n + 24_999n);
    // When the clock catches up with the borrowed ticks, it goes on after them.
    c.tick(2);
    expect(timestampTicks(gen.next())).toBe(BigInt(T0) * 10_000n + 25_000n);
    c.tick(10);
    expect(timestampTicks(gen.next())).toBe(BigInt(T0 + 12) * 10_000n);
  });

  it('adds one to the clock sequence when the clock goes back, and never repeats a (time, clockseq) pair', () => {
    const c = fakeClock();
    const gen = new TimeUuidGenerator({ clock: c.clock, random: fakeRandom() });
    const seq0 = gen.clockSeq;
    const seen = new Set<string>();
    const add = () => {
      const id = gen.nextString();
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    };
    for (let i = 0; i < 100; i++) add();
    c.set(T0 - 5_000);
    add();
    expect(gen.clockSeq).toBe((seq0 + 1) & 0x3fff);
    for (let i = 0; i < 100; i++) add(); // a stalled clock after the step back: same sequence, new ticks
    expect(gen.clockSeq).toBe((seq0 + 1) & 0x3fff);
    c.set(T0); // forward again, into the old range: the new sequence keeps it apart
    for (let i = 0; i < 100; i++) add();
    c.set(T0 - 1);
    add();
    expect(gen.clockSeq).toBe((seq0 + 2) & 0x3fff);
    expect(seen.size).toBe(302);
  });

  it('reserve(n) hands out n consecutive ticks that no later UUID repeats', () => {
    const c = fakeClock();
    const gen = new TimeUuidGenerator({ clock: c.clock, random: fakeRandom() });
    const first = timestampTicks(gen.reserve(50_000));
    expect(first).toBe(BigInt(T0) * 10_000n);
    expect(timestampTicks(gen.next())).toBe(first + 50_000n);
    expect(timestampTicks(gen.reserve(0))).toBe(first + 50_001n); // count <= 0 reserves one
    expect(timestampTicks(gen.reserve(-3))).toBe(first + 50_002n);
    expect(timestampTicks(gen.next())).toBe(first + 50_003n);
  });

  it('saves a lease ahead, not on every UUID, and a restart inside the lease bumps the clock sequence', () => {
    const c = fakeClock();
    const mem = memoryStore();
    const gen = new TimeUuidGenerator({
      clock: c.clock,
      random: fakeRandom(),
      store: mem.store,
      leaseMs: 1000,
    });
    const before = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      before.add(gen.nextString());
      if (i % 100 === 0) c.tick();
    }
    expect(mem.saves.length).toBe(1);
    expect(mem.state?.ticks).toBe(BigInt(T0 + 1000) * 10_000n + 12_219_292_800_000n * 10_000n);
    c.tick(1000);
    gen.next();
    expect(mem.saves.length).toBe(2);
    const seq = gen.clockSeq;

    // A restart: same store, the clock has not passed the lease.
    const again = new TimeUuidGenerator({ clock: c.clock, random: fakeRandom(), store: mem.store });
    expect(again.clockSeq).toBe((seq + 1) & 0x3fff);
    expect(again.node).toEqual(gen.node); // the node is kept too
    for (let i = 0; i < 1000; i++) expect(before.has(again.nextString())).toBe(false);

    // A restart after the lease: the clock is past everything handed out, so the sequence stays.
    c.tick(60_000);
    const later = new TimeUuidGenerator({ clock: c.clock, random: fakeRandom(), store: mem.store });
    expect(later.clockSeq).toBe(again.clockSeq);
  });

  it('saves at once when the clock goes back', () => {
    const c = fakeClock();
    const mem = memoryStore();
    const gen = new TimeUuidGenerator({ clock: c.clock, random: fakeRandom(), store: mem.store });
    gen.next();
    c.tick(-1);
    gen.next();
    expect(mem.saves.length).toBe(2);
    expect(mem.state?.clockSeq).toBe(gen.clockSeq);
  });

  describe('continuous clock (uuidd -C)', () => {
    it('uses clock sequence 0 and advances only by the UUIDs handed out', () => {
      const c = fakeClock();
      const gen = new TimeUuidGenerator({
        clock: c.clock,
        random: fakeRandom(),
        continuous: { maxLagMs: 60_000 },
      });
      const a = timestampTicks(gen.next());
      expect(a).toBe(BigInt(T0) * 10_000n);
      c.tick(30_000);
      expect(timestampTicks(gen.next())).toBe(a + 1n);
      expect(clockSeqOf(gen.reserve(10))).toBe(0);
      expect(timestampTicks(gen.next())).toBe(a + 12n);
    });

    it('never falls more than maxLagMs behind the clock, and never goes back', () => {
      const c = fakeClock();
      const gen = new TimeUuidGenerator({
        clock: c.clock,
        random: fakeRandom(),
        continuous: { maxLagMs: 60_000 },
      });
      gen.next();
      c.tick(100_000);
      expect(timestampTicks(gen.next())).toBe(BigInt(T0 + 40_000) * 10_000n);
      c.tick(-100_000);
      expect(timestampTicks(gen.next())).toBe(BigInt(T0 + 40_000) * 10_000n + 1n);
    });

    it('continues after the saved lease when restarted', () => {
      const c = fakeClock();
      const mem = memoryStore();
      const opts = {
        clock: c.clock,
        random: fakeRandom(),
        store: mem.store,
        continuous: { maxLagMs: 60_000 },
      };
      const gen = new TimeUuidGenerator(opts);
      const last = timestampTicks(gen.reserve(1000)) + 999n;
      const again = new TimeUuidGenerator(opts);
      expect(timestampTicks(again.next())).toBeGreaterThan(last);
    });
  });

  it('refuses a node that is not 6 bytes, and writes into a buffer at an offset', () => {
    expect(() => new TimeUuidGenerator({ node: new Uint8Array(5) })).toThrow(RangeError);
    const gen = new TimeUuidGenerator({ clock: fakeClock().clock, random: fakeRandom() });
    const buf = new Uint8Array(40);
    gen.next(buf, 20);
    expect(buf[26]! >> 4).toBe(1);
    expect(() => gen.next(buf, 30)).toThrow(RangeError);
  });
});
