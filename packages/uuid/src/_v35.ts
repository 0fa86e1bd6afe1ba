import { output } from './_output.js';
import { parse } from './parse.js';
import type { UuidInput } from './types.js';

/** The RFC 9562 namespace IDs of Appendix A. */
export const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8' as const;
export const URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8' as const;

const encoder = /* @__PURE__ */ new TextEncoder();
let scratch = /* @__PURE__ */ new Uint8Array(256);
let lastNamespace = '';
let lastNamespaceBytes: Uint8Array = /* @__PURE__ */ new Uint8Array(16);
const digest = /* @__PURE__ */ new Uint8Array(16);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

type Hash = (data: Uint8Array, out: Uint8Array) => Uint8Array;

/** A name-based UUID: hash(namespace bytes + name bytes), version and variant set (RFC 9562 §5.3, §5.5). */
export function v35<TBuf extends Uint8Array>(
  version: 0x30 | 0x50,
  hash: Hash,
  name: string | Uint8Array,
  namespace: UuidInput,
  buf: TBuf | undefined,
  offset: number | undefined,
): string | TBuf {
  let ns: Uint8Array;
  if (typeof namespace === 'string') {
    if (namespace !== lastNamespace) {
      lastNamespaceBytes = parse(namespace);
      lastNamespace = namespace;
    }
    ns = lastNamespaceBytes;
  } else {
    ns = namespace;
  }
  if (ns?.length !== 16)
    throw new TypeError('Namespace must be array-like (16 iterable integer values, 0-255)');
  let length: number;
  if (typeof name !== 'string' && !(name instanceof Uint8Array) && !Array.isArray(name)) {
    // Hashing nothing for 123 or {} would give every such name one shared UUID.
    throw new TypeError(`Name must be a string or bytes (Uint8Array), not ${describe(name)}`);
  }
  if (typeof name === 'string') {
    if (scratch.length < 16 + name.length * 3) scratch = new Uint8Array(16 + name.length * 3);
    length = 16 + encoder.encodeInto(name, scratch.subarray(16)).written;
  } else {
    length = 16 + name.length;
    if (scratch.length < length) scratch = new Uint8Array(length);
    scratch.set(name, 16);
  }
  scratch.set(ns, 0);
  hash(scratch.subarray(0, length), digest);
  digest[6] = ((digest[6] as number) & 0x0f) | version;
  digest[8] = ((digest[8] as number) & 0x3f) | 0x80;
  return output(digest, 0, buf, offset);
}
