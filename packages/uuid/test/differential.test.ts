import * as peer from 'uuid';
import { describe, expect, it } from 'vitest';
import {
  parse,
  stringify,
  v1 as v1Of,
  v1ToV6,
  v3,
  v5,
  v6 as v6Of,
  v6ToV1,
  v7 as v7Of,
  validate,
  version,
} from '../src/index.js';

/** A small seeded PRNG (mulberry32) so that a failure can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(0x5eed);
const int = (n: number) => Math.floor(rand() * n);
const HEX = '0123456789abcdefABCDEF';
const NOISE = 'g-{}: xyzGZ\u00e9\u0660\u0130 urn';

function hexString(n: number) {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[int(HEX.length)];
  return s;
}

/** Strings around the UUID form: valid ones of every version and variant and case, and near-misses. */
function candidate(): string {
  const base = `${hexString(8)}-${hexString(4)}-${hexString(4)}-${hexString(4)}-${hexString(12)}`;
  switch (int(10)) {
    case 0:
      return [
        '00000000-0000-0000-0000-000000000000',
        'FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF',
        peer.NIL,
        peer.MAX,
      ][int(4)]!;
    case 1: {
      const at = int(36);
      return base.slice(0, at) + NOISE[int(NOISE.length)] + base.slice(at + 1); // one char replaced
    }
    case 2:
      return [`{${base}}`, `urn:uuid:${base}`, base.replaceAll('-', ''), ` ${base}`, `${base}\n`][int(5)]!;
    case 3: {
      const at = int(36);
      return int(2) ? base.slice(0, at) + base.slice(at + 1) : `${base.slice(0, at)}a${base.slice(at)}`;
    }
    case 4: {
      const at = int(36);
      const t = base.split('');
      [t[at], t[(at + 1) % 36]] = [t[(at + 1) % 36]!, t[at]!]; // a misplaced hyphen, sometimes
      return t.join('');
    }
    default:
      return base; // random version and variant nibbles: about a quarter are valid
  }
}

const outcome = (f: () => unknown) => {
  try {
    const v = f();
    return { ok: v instanceof Uint8Array ? Array.from(v) : v };
  } catch (error) {
    return { threw: (error as Error).constructor.name };
  }
};

describe('differential against uuid@14 on 100 000 random inputs', () => {
  it('validate, parse and version agree on every string', () => {
    let valid = 0;
    for (let i = 0; i < 100_000; i++) {
      const s = candidate();
      const ours = validate(s);
      if (ours !== peer.validate(s)) expect.fail(`validate(${JSON.stringify(s)}): ours ${ours}`);
      if (ours) valid++;
      const a = outcome(() => parse(s));
      const b = outcome(() => peer.parse(s));
      if (JSON.stringify(a) !== JSON.stringify(b))
        expect.fail(`parse(${JSON.stringify(s)}): ${JSON.stringify([a, b])}`);
      const va = outcome(() => version(s));
      const vb = outcome(() => peer.version(s));
      if (JSON.stringify(va) !== JSON.stringify(vb))
        expect.fail(`version(${JSON.stringify(s)}): ${JSON.stringify([va, vb])}`);
    }
    // The mix must exercise both sides.
    expect(valid).toBeGreaterThan(10_000);
    expect(valid).toBeLessThan(90_000);
  });

  it('stringify agrees on every byte array and offset', () => {
    const buf = new Uint8Array(24);
    let valid = 0;
    for (let i = 0; i < 100_000; i++) {
      for (let j = 0; j < buf.length; j++) buf[j] = int(256);
      if (int(4) === 0) buf.fill(int(2) ? 0 : 0xff, 0, 16);
      if (int(2)) buf[6] = (int(16) << 4) | (buf[6]! & 0x0f);
      if (int(2)) buf[8] = 0x80 | (buf[8]! & 0x3f);
      const offset = int(10);
      const a = outcome(() => stringify(buf, offset));
      const b = outcome(() => peer.stringify(buf, offset));
      if (JSON.stringify(a) !== JSON.stringify(b))
        expect.fail(`stringify(${buf}, ${offset}): ${JSON.stringify([a, b])}`);
      if ('ok' in a) valid++;
    }
    expect(valid).toBeGreaterThan(10_000);
  });

  it('gives the same UUIDs as uuid for the same fixed fields (v1, v3, v5, v6, v7)', () => {
    for (let i = 0; i < 2000; i++) {
      const random = Uint8Array.from({ length: 16 }, () => int(256));
      const msecs = int(2 ** 47);
      const nsecs = int(10_000);
      const name = hexString(int(80));
      const ns = peer.v4();
      expect(v1Of({ random, msecs, nsecs })).toBe(peer.v1({ random, msecs, nsecs }));
      expect(v6Of({ random, msecs, nsecs })).toBe(peer.v6({ random, msecs, nsecs }));
      expect(v7Of({ random, msecs })).toBe(peer.v7({ random, msecs }));
      expect(v3(name, ns)).toBe(peer.v3(name, ns));
      expect(v5(name, ns)).toBe(peer.v5(name, ns));
      expect(v1ToV6(peer.v1({ random, msecs }))).toBe(peer.v1ToV6(peer.v1({ random, msecs })));
      const six = peer.v6({ random, msecs });
      expect(v6ToV1(six)).toBe(peer.v6ToV1(six));
    }
  });
});
