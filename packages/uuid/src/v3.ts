import { md5 } from '@suite/internal';
import { DNS, URL, v35 } from './_v35.js';
import type { NameBasedUuidFunction, UuidInput } from './types.js';

function v3Impl(name: string | Uint8Array, namespace: UuidInput, buf?: undefined, offset?: number): string;
function v3Impl<TBuf extends Uint8Array>(
  name: string | Uint8Array,
  namespace: UuidInput,
  buf: TBuf,
  offset?: number,
): TBuf;
function v3Impl<TBuf extends Uint8Array>(
  name: string | Uint8Array,
  namespace: UuidInput,
  buf?: TBuf,
  offset?: number,
): string | TBuf {
  return v35(0x30, md5, name, namespace, buf, offset);
}

/**
 * A name-based (version 3, MD5) UUID of `name` (UTF-8, or bytes) in `namespace`; `v3.DNS` and `v3.URL` are the
 * RFC namespaces.
 * @example
 * import { v3 } from '@suite/uuid';
 * v3('www.example.com', v3.DNS); // '5df41881-3aed-3515-88a7-2f4a814cf09e'
 */
export const v3: NameBasedUuidFunction = /* @__PURE__ */ Object.assign(v3Impl, {
  DNS,
  URL,
} as const);
