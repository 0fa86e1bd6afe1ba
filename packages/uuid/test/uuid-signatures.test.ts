import * as peer from 'uuid';
import { describe, expectTypeOf, it } from 'vitest';
import * as ours from '../src/index.js';

// Type tests of the `uuid`-compatible signatures, against the real `uuid` package's own types (a devDependency):
// checked by the type checker (`npm run typecheck`), run as no-ops. Each call is made with the same arguments on
// both packages and must give the same type; each of uuid's option types must be accepted where uuid accepts it.
const S = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const buf = new Uint8Array(32);
const exact = Uint8Array.of(...new Uint8Array(16)); // a Uint8Array<ArrayBuffer>, as parse() returns

describe("the uuid-compatible API's types are uuid@14's", () => {
  it('v1: (options?) => string and (options, buf, offset?) => the same buffer type, with uuid.Version1Options', () => {
    const options: peer.Version1Options = { msecs: 0, nsecs: 0, clockseq: 0, node: new Uint8Array(6) };
    expectTypeOf(ours.v1()).toEqualTypeOf(peer.v1());
    expectTypeOf(ours.v1(options)).toEqualTypeOf(peer.v1(options));
    expectTypeOf(ours.v1(options, buf)).toEqualTypeOf(peer.v1(options, buf));
    expectTypeOf(ours.v1(undefined, exact, 0)).toEqualTypeOf(peer.v1(undefined, exact, 0));
    expectTypeOf(ours.v1).toBeCallableWith({ random: new Uint8Array(16) });
  });

  it('v4: options (random, rng) and buffer overloads', () => {
    const options: peer.Version4Options = { random: new Uint8Array(16) };
    expectTypeOf(ours.v4()).toEqualTypeOf(peer.v4());
    expectTypeOf(ours.v4(options)).toEqualTypeOf(peer.v4(options));
    expectTypeOf(ours.v4({ rng: () => new Uint8Array(16) })).toEqualTypeOf<string>();
    expectTypeOf(ours.v4(options, buf, 16)).toEqualTypeOf(peer.v4(options, buf, 16));
    expectTypeOf(ours.v4(undefined, exact)).toEqualTypeOf(peer.v4(undefined, exact));
  });

  it('v5: (name, namespace as string or bytes) => string, with a buffer => that buffer; v5.DNS and v5.URL', () => {
    expectTypeOf(ours.v5('x', S)).toEqualTypeOf(peer.v5('x', S));
    expectTypeOf(ours.v5(new Uint8Array(3), exact)).toEqualTypeOf(peer.v5(new Uint8Array(3), exact));
    expectTypeOf(ours.v5('x', ours.v5.DNS, buf, 16)).toEqualTypeOf(peer.v5('x', peer.v5.DNS, buf, 16));
    expectTypeOf(ours.v5.URL).toMatchTypeOf<typeof peer.v5.URL>();
    expectTypeOf(ours.v3('x', ours.v3.DNS)).toEqualTypeOf(peer.v3('x', peer.v3.DNS));
  });

  it('v7: uuid.Version7Options (msecs, seq, random) and buffer overloads', () => {
    const options: peer.Version7Options = { msecs: 1, seq: 0, random: new Uint8Array(16) };
    expectTypeOf(ours.v7()).toEqualTypeOf(peer.v7());
    expectTypeOf(ours.v7(options)).toEqualTypeOf(peer.v7(options));
    expectTypeOf(ours.v7(options, buf, 16)).toEqualTypeOf(peer.v7(options, buf, 16));
    expectTypeOf(ours.v7(undefined, exact)).toEqualTypeOf(peer.v7(undefined, exact));
  });

  it('parse: (string) => bytes that fit wherever uuid.parse()’s result goes', () => {
    expectTypeOf(ours.parse).parameters.toEqualTypeOf<Parameters<typeof peer.parse>>();
    expectTypeOf(ours.parse(S)).toMatchTypeOf<ReturnType<typeof peer.parse>>();
    expectTypeOf(ours.parse(S)).toMatchTypeOf<Uint8Array>();
  });

  it('stringify: (bytes, offset?) => string', () => {
    expectTypeOf(ours.stringify).parameters.toEqualTypeOf<Parameters<typeof peer.stringify>>();
    expectTypeOf(ours.stringify(exact)).toEqualTypeOf(peer.stringify(exact));
    expectTypeOf(ours.stringify(buf, 16)).toEqualTypeOf(peer.stringify(buf, 16));
  });

  it('validate: (unknown) => boolean; version: (string) => number', () => {
    expectTypeOf(ours.validate).parameters.toEqualTypeOf<Parameters<typeof peer.validate>>();
    expectTypeOf(ours.validate(1)).toEqualTypeOf(peer.validate(1));
    expectTypeOf(ours.version).parameters.toEqualTypeOf<Parameters<typeof peer.version>>();
    expectTypeOf(ours.version(S)).toEqualTypeOf(peer.version(S));
  });

  it("our option types are uuid's, so options typed against uuid pass through unchanged", () => {
    expectTypeOf<peer.Version1Options>().toMatchTypeOf<ours.Version1Options>();
    expectTypeOf<peer.Version4Options>().toMatchTypeOf<ours.Version4Options>();
    expectTypeOf<peer.Version6Options>().toMatchTypeOf<ours.Version6Options>();
    expectTypeOf<peer.Version7Options>().toMatchTypeOf<ours.Version7Options>();
  });

  it('V7Generator exposes no mutable state: only next, nextBytes and advance', () => {
    expectTypeOf<keyof ours.V7Generator>().toEqualTypeOf<'next' | 'nextBytes' | 'advance'>();
  });
});
