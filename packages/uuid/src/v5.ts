import { sha1 } from './_sha1.js';
import { DNS, URL, v35 } from './_v35.js';
import type { NameBasedUuidFunction, UuidInput } from './types.js';

function v5Impl(name: string | Uint8Array, namespace: UuidInput, buf?: undefined, offset?: number): string;
function v5Impl<TBuf extends Uint8Array>(
  name: string | Uint8Array,
  namespace: UuidInput,
  buf: TBuf,
  offset?: number,
): TBuf;
function v5Impl<TBuf extends Uint8Array>(
  name: string | Uint8Array,
  namespace: UuidInput,
  buf?: TBuf,
  offset?: number,
): string | TBuf {
  return v35(0x50, sha1, name, namespace, buf, offset);
}

/**
 * A name-based (version 5, SHA-1) UUID of `name` (UTF-8, or bytes) in `namespace`; `v5.DNS` and `v5.URL` are the
 * RFC namespaces.
 * @example
 * import { v5 } from '@suite/uuid';
 * v5('www.example.com', v5.DNS); // '2ed6657d-e927-568b-95e1-2665a8aea6a2'
 */
export const v5: NameBasedUuidFunction = /* @__PURE__ */ Object.assign(v5Impl, {
  DNS,
  URL,
} as const);
