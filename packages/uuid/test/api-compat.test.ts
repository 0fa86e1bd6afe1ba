import * as peer from 'uuid';
import { describe, expect, it } from 'vitest';
import * as ours from '../src/index.js';

// Code typed against `uuid` compiles against us: each of our functions fits the peer's signature (checked by tsc).
const fits: {
  [K in
    | 'v1'
    | 'v3'
    | 'v4'
    | 'v5'
    | 'v6'
    | 'v7'
    | 'parse'
    | 'stringify'
    | 'validate'
    | 'version'
    | 'v1ToV6'
    | 'v6ToV1']: (typeof peer)[K];
} = {
  v1: ours.v1,
  v3: ours.v3,
  v4: ours.v4,
  v5: ours.v5,
  v6: ours.v6,
  v7: ours.v7,
  parse: ours.parse,
  stringify: ours.stringify,
  validate: ours.validate,
  version: ours.version,
  v1ToV6: ours.v1ToV6,
  v6ToV1: ours.v6ToV1,
};

describe('the uuid package API', () => {
  it('has every export of uuid@14 under the same name, with v3/v5 namespaces', () => {
    for (const name of Object.keys(peer)) expect(ours, name).toHaveProperty(name);
    expect([ours.v3.DNS, ours.v3.URL, ours.v5.DNS, ours.v5.URL]).toEqual([
      peer.v3.DNS,
      peer.v3.URL,
      peer.v5.DNS,
      peer.v5.URL,
    ]);
    expect([ours.NIL, ours.MAX]).toEqual([peer.NIL, peer.MAX]);
    expect(Object.keys(fits)).toHaveLength(12);
  });

  it('takes the (options, buf, offset) forms like uuid', () => {
    const buf = new Uint8Array(48);
    type Into = (options: undefined, buf: Uint8Array, offset: number) => Uint8Array;
    for (const make of [ours.v1, ours.v4, ours.v6, ours.v7] as Into[]) {
      expect(make(undefined, buf, 16)).toBe(buf);
      expect(ours.validate(ours.stringify(buf, 16))).toBe(true);
    }
    expect(ours.v5('x', ours.v5.DNS, buf, 32)).toBe(buf);
    expect(ours.stringify(buf, 32)).toBe(peer.v5('x', peer.v5.DNS));
  });
});
