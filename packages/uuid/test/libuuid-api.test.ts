import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as peer from 'uuid';
import { describe, expect, it } from 'vitest';
import {
  isNil,
  MAX,
  NAMESPACE_DNS,
  NAMESPACE_OID,
  NAMESPACE_URL,
  NAMESPACE_X500,
  NIL,
  namespaceByAlias,
  parse,
  TimeUuidGenerator,
  timestampMs,
  unparseUpper,
  v3,
  v5,
  version,
} from '../src/index.js';
import { v1Safe } from '../src/node/index.js';
import { UuiddServer } from '../src/node/uuidd.js';

describe("libuuid's API, for Node users", () => {
  it('isNil answers as uuid_is_null: the nil UUID as a string (either case) or 16 zero bytes', () => {
    expect(isNil(NIL)).toBe(true);
    expect(isNil(NIL.toUpperCase())).toBe(true);
    expect(isNil(new Uint8Array(16))).toBe(true);
    expect(isNil(MAX)).toBe(false);
    expect(isNil('00000000-0000-0000-0000-000000000001')).toBe(false);
    expect(isNil(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))).toBe(false);
    expect(isNil('not a uuid')).toBe(false);
    expect(isNil(new Uint8Array(15))).toBe(false);
  });

  it('unparseUpper formats bytes of any version as uuid_unparse_upper does', () => {
    expect(unparseUpper(parse('919108f7-52d1-4320-9bac-f847db4148a8'))).toBe(
      '919108F7-52D1-4320-9BAC-F847DB4148A8',
    );
    const buf = new Uint8Array(20).fill(0xab);
    expect(unparseUpper(buf, 4)).toBe('ABABABAB-ABAB-ABAB-ABAB-ABABABABABAB');
  });

  it('exports the four RFC 9562 namespaces, OID and X500 included, and finds them by uuidgen alias', () => {
    expect([NAMESPACE_DNS, NAMESPACE_URL]).toEqual([peer.v5.DNS, peer.v5.URL]);
    expect(NAMESPACE_OID).toBe('6ba7b812-9dad-11d1-80b4-00c04fd430c8');
    expect(NAMESPACE_X500).toBe('6ba7b814-9dad-11d1-80b4-00c04fd430c8');
    expect(['dns', 'url', 'oid', 'x500', 'x.500'].map(namespaceByAlias)).toEqual([
      NAMESPACE_DNS,
      NAMESPACE_URL,
      NAMESPACE_OID,
      NAMESPACE_X500,
      NAMESPACE_X500,
    ]);
    for (const alias of ['DNS', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '', 'x-500']) {
      expect(namespaceByAlias(alias), alias).toBeUndefined();
    }
    expect(v5('1.3.6.1', NAMESPACE_OID)).toBe(peer.v5('1.3.6.1', NAMESPACE_OID));
    expect(v3('CN=x', NAMESPACE_X500)).toBe(peer.v3('CN=x', NAMESPACE_X500));
  });

  describe('v1Safe: uuid_generate_time_safe', () => {
    it('says safe: true for a UUID the uuidd daemon made', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'v1safe-'));
      const socketPath = join(dir, 'request');
      const gen = new TimeUuidGenerator({ node: Uint8Array.of(1, 2, 3, 4, 5, 6) });
      const server = await UuiddServer.listen(socketPath, { time: gen });
      try {
        const made = await v1Safe({ socketPath });
        expect(made.safe).toBe(true);
        expect(version(made.uuid)).toBe(1);
        expect(made.uuid.endsWith('-010203040506')).toBe(true); // the daemon's node: it came from there
      } finally {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('makes one here and says safe: false when no daemon answers', async () => {
      const before = Date.now();
      const made = await v1Safe({ socketPath: join(tmpdir(), 'no-such-dir-v1safe', 'request') });
      expect(made.safe).toBe(false);
      expect(version(made.uuid)).toBe(1);
      expect(timestampMs(made.uuid)).toBeGreaterThanOrEqual(before);
    });
  });
});

describe('v3 and v5 refuse names that are neither strings nor bytes, as uuid does', () => {
  for (const name of [123, {}, true, null, undefined, Symbol('s')]) {
    it(`throws a TypeError for ${String(name)}`, () => {
      expect(() => v3(name as never, v3.DNS)).toThrow(TypeError);
      expect(() => v5(name as never, v5.DNS)).toThrow(TypeError);
      expect(() => peer.v5(name as never, peer.v5.DNS)).toThrow(); // the peer refuses them too
    });
  }

  it('still takes strings, Uint8Arrays and Buffers (the same bytes, the same UUID)', () => {
    const text = 'www.example.com';
    expect(v5(new TextEncoder().encode(text), v5.DNS)).toBe(v5(text, v5.DNS));
    expect(v5(Buffer.from(text), v5.DNS)).toBe(v5(text, v5.DNS));
  });
});
