import { describe, expect, it } from 'vitest';
import {
  bulk,
  compare,
  MAX,
  NIL,
  parse,
  parseAny,
  stringify,
  timestampMs,
  timestampTicks,
  unsafeStringify,
  V7Generator,
  v1,
  v1ToV6,
  v3,
  v4,
  v5,
  v6,
  v6ToV1,
  v7,
  v8,
  validate,
  variant,
  version,
} from '../src/index.js';
import { v7State } from '../src/v7.js';

// RFC 9562 Appendix A test vectors (all at 2022-02-22 19:22:22 UTC).
const V1 = 'c232ab00-9414-11ec-b3c8-9f6bdeced846';
const V6 = '1ec9414c-232a-6b00-b3c8-9f6bdeced846';
const V7 = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';
const V4 = '919108f7-52d1-4320-9bac-f847db4148a8';
const V3 = '5df41881-3aed-3515-88a7-2f4a814cf09e';
const V5 = '2ed6657d-e927-568b-95e1-2665a8aea6a2';
const V8_TIME = '2489e9ad-2ee2-8e00-8ec9-32d5f69181c0';
const MS = Date.UTC(2022, 1, 22, 19, 22, 22);
const NODE = Uint8Array.of(0x9f, 0x6b, 0xde, 0xce, 0xd8, 0x46);

const V4_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('RFC 9562 appendix vectors', () => {
  it('v1 and v6 from their fields, and the conversions between them', () => {
    expect(v1({ msecs: MS, nsecs: 0, clockseq: 0x33c8, node: NODE })).toBe(V1);
    expect(v6({ msecs: MS, nsecs: 0, clockseq: 0x33c8, node: NODE })).toBe(V6);
    expect(v1ToV6(V1)).toBe(V6);
    expect(v6ToV1(V6)).toBe(V1);
    expect(unsafeStringify(v1ToV6(parse(V1)))).toBe(V6);
  });

  it('v7 from its fields', () => {
    const random = Uint8Array.from(Buffer.from('00000000000000000cc318c4dc0c0c07398f'.slice(4), 'hex'));
    expect(random.length).toBe(16);
    expect(v7({ msecs: MS, seq: (0xcc3 << 20) | (0x18c4 << 6) | (0xdc >> 2), random })).toBe(V7);
  });

  it('v3 and v5 of www.example.com in the DNS namespace (util-linux known answers)', () => {
    expect(v3('www.example.com', v3.DNS)).toBe(V3);
    expect(v5('www.example.com', v5.DNS)).toBe(V5);
    expect(v3(new TextEncoder().encode('www.example.com'), parse(v3.DNS))).toBe(V3);
    expect(v3.URL).toBe('6ba7b811-9dad-11d1-80b4-00c04fd430c8');
    expect(v5.URL).toBe(v3.URL);
  });

  it('v4 and v8 carry their version and variant', () => {
    expect(version(V4)).toBe(4);
    expect(variant(V4)).toBe('DCE');
    expect(version(V8_TIME)).toBe(8);
    expect(v8(parse(V8_TIME))).toBe(V8_TIME);
    expect(v8(new Uint8Array(16).fill(0xff))).toBe('ffffffff-ffff-8fff-bfff-ffffffffffff');
  });

  it('timestamps of v1, v6 and v7, in ms and in 100-ns ticks', () => {
    for (const id of [V1, V6, V7]) expect(timestampMs(id)).toBe(MS);
    expect(timestampTicks(V1)).toBe(BigInt(MS) * 10_000n);
    expect(timestampTicks(v1({ msecs: MS, nsecs: 1234, clockseq: 1, node: NODE }))).toBe(
      BigInt(MS) * 10_000n + 1234n,
    );
    expect(timestampTicks(V7)).toBe(BigInt(MS) * 10_000n);
    expect(() => timestampMs(V4)).toThrow('UUID version 4 has no timestamp');
    expect(timestampMs(v1({ msecs: -1, nsecs: 5, clockseq: 1, node: NODE }))).toBe(-1);
  });
});

describe('NIL, MAX, validate, parse, variant, compare', () => {
  it('knows nil and max', () => {
    expect(validate(NIL) && validate(MAX)).toBe(true);
    expect(version(NIL)).toBe(0);
    expect(version(MAX)).toBe(15);
    expect(variant(NIL)).toBe('NCS');
    expect(variant(MAX)).toBe('other');
    expect(variant('00000000-0000-0000-c000-000000000000')).toBe('Microsoft');
  });

  it('refuses braces, urn:uuid:, missing or misplaced hyphens, bad hex and wrong lengths, consistently', () => {
    const bad = [
      `{${V4}}`,
      `urn:uuid:${V4}`,
      V4.replaceAll('-', ''),
      `${V4.slice(0, 8)}${V4.slice(9, 10)}-${V4.slice(10)}`,
      V4.replace('9', 'g'),
      V4.slice(1),
      `${V4}0`,
      '',
      '12345678-1234-0234-8234-123456789012', // version 0
      '12345678-1234-4234-c234-123456789012', // Microsoft variant
    ];
    for (const s of bad) {
      expect(validate(s), s).toBe(false);
      expect(() => parse(s), s).toThrow(new TypeError('Invalid UUID'));
      expect(() => version(s), s).toThrow(TypeError);
    }
    expect(validate(V4.toUpperCase())).toBe(true);
    expect(validate(42)).toBe(false);
    // parseAny is libuuid's uuid_parse: any version and variant, the same refusals of other forms.
    expect(parseAny('12345678-1234-0234-c234-123456789012')).toBeInstanceOf(Uint8Array);
    expect(parseAny(`{${V4}}`)).toBeUndefined();
    expect(parseAny(`${V4.slice(0, 35)}\u0660`)).toBeUndefined();
  });

  it('stringify checks what it formats; unsafeStringify does not', () => {
    expect(stringify(parse(V4.toUpperCase()))).toBe(V4);
    expect(() => stringify(new Uint8Array(16).fill(7))).toThrow(new TypeError('Stringified UUID is invalid'));
    expect(() => stringify(parse(V4), 1)).toThrow(TypeError);
    expect(unsafeStringify(new Uint8Array(16).fill(7))).toBe('07070707-0707-0707-0707-070707070707');
  });

  it('compare orders UUIDs as 128-bit numbers, across case and bytes', () => {
    expect(compare(NIL, MAX)).toBe(-1);
    expect(compare(V4.toUpperCase(), parse(V4))).toBe(0);
    expect([MAX, V7, NIL, V6].sort(compare)).toEqual([NIL, V7, V6, MAX]);
    expect(() => compare('nope', NIL)).toThrow(TypeError);
  });
});

describe('v4', () => {
  it('is random, well-formed and different every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = v4();
      expect(id).toMatch(V4_PATTERN);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });

  it('takes given random bytes and writes into a buffer at an offset', () => {
    const random = new Uint8Array(16).fill(0xff);
    expect(v4({ random })).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    const buf = new Uint8Array(20);
    expect(v4(undefined, buf, 4)).toBe(buf);
    expect(unsafeStringify(buf, 4)).toMatch(V4_PATTERN);
    expect(() => v4(undefined, buf, 5)).toThrow(RangeError);
    expect(() => v4({ random: new Uint8Array(8) })).toThrow('Random bytes length must be >= 16');
  });
});

describe('v7', () => {
  it('1 000 000 v7 in one process are strictly increasing', () => {
    let last = v7();
    let ok = true;
    for (let i = 0; i < 1_000_000; i++) {
      const next = v7();
      if (!(next > last)) ok = false;
      last = next;
    }
    expect(ok).toBe(true);
    expect(version(last)).toBe(7);
    expect(Math.abs(timestampMs(last) - Date.now())).toBeLessThan(60_000);
  });

  it('a fake clock that stalls and steps back never yields a duplicate or an out-of-order v7', () => {
    let now = 1_700_000_000_000;
    const gen = new V7Generator({ clock: () => now });
    const out: string[] = [];
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 100; i++) out.push(gen.next());
      now += round % 3 === 0 ? -5_000 : round % 3 === 1 ? 0 : 1; // back, stall, forward
    }
    for (let i = 1; i < out.length; i++) expect(out[i]! > out[i - 1]!).toBe(true);
    expect(new Set(out).size).toBe(out.length);
    expect(timestampMs(out.at(-1)!)).toBeGreaterThanOrEqual(1_700_000_000_000); // kept the last timestamp
  });

  it('reads a fractional clock by whole milliseconds (no reseeding inside one)', () => {
    let now = 1_700_000_000_000.1;
    const gen = new V7Generator({ clock: () => now });
    const out: string[] = [];
    for (let i = 0; i < 1000; i++) {
      out.push(gen.next());
      now += 0.0007;
    }
    for (let i = 1; i < out.length; i++) expect(out[i]! > out[i - 1]!).toBe(true);
  });

  it('when the counter overflows, moves the timestamp on by 1 ms and stays in order', () => {
    const gen = new V7Generator({ clock: () => 1_700_000_000_000 });
    const a = gen.next();
    v7State.set(gen, v7State.get(gen).ms, 0xffffffff);
    const b = gen.next();
    expect(b > a).toBe(true);
    expect(timestampMs(b)).toBe(1_700_000_000_001);
    expect(v7State.get(gen).seq).toBeLessThan(0x80000000); // reseeded with the top bit clear
  });

  it('keeps its timestamp and counter private: a V7Generator has no own properties to reset', () => {
    const gen = new V7Generator({ clock: () => 1_700_000_000_000 });
    gen.next();
    expect(Object.keys(gen)).toEqual([]);
    expect('ms' in gen || 'seq' in gen).toBe(false);
  });

  it('keeps 42 random bits per UUID: UUIDs of one millisecond differ beyond the counter', () => {
    const gen = new V7Generator({ clock: () => 1_700_000_000_000 });
    const tails = new Set<string>();
    for (let i = 0; i < 1000; i++) tails.add(gen.next().slice(26));
    expect(tails.size).toBeGreaterThan(990);
  });

  it('writes into a buffer with the same state', () => {
    const buf = new Uint8Array(32);
    const before = v7();
    v7(undefined, buf, 16);
    const mid = unsafeStringify(buf, 16);
    expect(mid > before && v7() > mid).toBe(true);
  });
});

describe('v1 and v6', () => {
  it('1 000 000 v1 without a duplicate: within one clock sequence, every timestamp is new', () => {
    const n = 1_000_000;
    const buf = new Uint8Array(16 * n);
    for (let i = 0; i < n; i++) v1(undefined, buf, 16 * i);
    const view = new DataView(buf.buffer);
    let duplicates = 0;
    let prevSeq = -1;
    let prevHi = -1;
    let prevLo = -1;
    for (let at = 0; at < buf.length; at += 16) {
      const lo = view.getUint32(at);
      const hi = ((view.getUint16(at + 6) & 0x0fff) << 16) | view.getUint16(at + 4);
      const seq = view.getUint16(at + 8) & 0x3fff;
      if (seq === prevSeq && (hi < prevHi || (hi === prevHi && lo <= prevLo))) duplicates++;
      prevSeq = seq;
      prevHi = hi;
      prevLo = lo;
    }
    expect(duplicates).toBe(0);
    // And as strings, a sample of them: all different.
    const sample = Array.from({ length: 100_000 }, (_, i) => unsafeStringify(buf, 16 * i * 10));
    expect(new Set(sample).size).toBe(100_000);
  });

  it('v1 and v6 come from the same machinery: one clock sequence and node, increasing ticks', () => {
    const a = v1();
    const b = v6();
    const c = v1();
    expect(a.slice(19)).toBe(b.slice(19));
    expect(Number.parseInt(a.slice(24, 26), 16) & 1).toBe(1); // multicast bit of the random node
    expect(timestampTicks(a) < timestampTicks(b) && timestampTicks(b) < timestampTicks(c)).toBe(true);
    expect(version(b)).toBe(6);
  });

  it('v6 strings sort in generation order', () => {
    const ids = Array.from({ length: 10_000 }, () => v6());
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('bulk', () => {
  it('makes N UUIDs of a version into one buffer', () => {
    for (const ver of [1, 4, 6, 7] as const) {
      const buf = bulk(ver, 1000);
      expect(buf.length).toBe(16_000);
      const ids = Array.from({ length: 1000 }, (_, i) => stringify(buf, 16 * i));
      expect(new Set(ids).size).toBe(1000);
      for (const id of ids) expect(version(id)).toBe(ver);
      if (ver === 7 || ver === 6) expect([...ids].sort()).toEqual(ids);
    }
    expect(() => bulk(4, -1)).toThrow(RangeError);
    expect(() => bulk(4, 2, new Uint8Array(20))).toThrow(RangeError);
    expect(() => bulk(5 as 4, 1)).toThrow(RangeError);
  });
});

describe('name-based', () => {
  it('encodes names as UTF-8 and refuses a bad namespace', () => {
    expect(v5('\u00e9', v5.URL)).toBe(v5(Uint8Array.of(0xc3, 0xa9), v5.URL));
    expect(() => v5('x', 'not-a-uuid')).toThrow(new TypeError('Invalid UUID'));
    expect(() => v3('x', new Uint8Array(15))).toThrow(TypeError);
    const long = 'x'.repeat(1000);
    expect(v5(long, v5.DNS)).not.toBe(v5(long.slice(1), v5.DNS));
  });
});
