import * as peer from 'uuid';
import { describe, expectTypeOf, it } from 'vitest';
import { isUuid, type Uuid, v1, v3, v4, v5, v6, v7, validate } from '../src/index.js';

// These are checked by the type checker (`npm run typecheck`), and run as no-ops: code written against `uuid`
// must compile unchanged when only the import changes.
describe('types: a drop-in for uuid@14', () => {
  it('the uuid-compatible generators return string, as uuid does', () => {
    expectTypeOf(v4()).toEqualTypeOf<string>();
    expectTypeOf(v1()).toEqualTypeOf<string>();
    expectTypeOf(v6()).toEqualTypeOf<string>();
    expectTypeOf(v7()).toEqualTypeOf<string>();
    expectTypeOf(v3('x', v3.DNS)).toEqualTypeOf<string>();
    expectTypeOf(v5('x', v5.DNS)).toEqualTypeOf<string>();
    expectTypeOf(v4()).toEqualTypeOf(peer.v4());
    const buf = new Uint8Array(16);
    expectTypeOf(v4(undefined, buf)).toEqualTypeOf(buf);
  });

  it("compiles `let id = v4(); id = 'x'` and `[v4()].push('x')`", () => {
    let id = v4();
    id = 'x';
    const ids = [v4()];
    ids.push('x');
    expectTypeOf(id).toEqualTypeOf<string>();
    expectTypeOf(ids).toEqualTypeOf<string[]>();
  });

  it('validate returns boolean like uuid; the branded Uuid is opt-in through isUuid', () => {
    expectTypeOf(validate).returns.toEqualTypeOf<boolean>();
    const input: unknown = v4();
    if (isUuid(input)) expectTypeOf(input).toEqualTypeOf<Uuid>();
    expectTypeOf<Uuid>().toMatchTypeOf<string>();
    expectTypeOf<string>().not.toMatchTypeOf<Uuid>();
  });
});
