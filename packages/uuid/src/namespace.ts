/**
 * The name-space ID for fully qualified domain names (RFC 9562 Appendix A.2; libuuid's `NameSpace_DNS`).
 * @example
 * import { NAMESPACE_DNS, v5 } from '@suite/uuid';
 * v5('www.example.com', NAMESPACE_DNS); // '2ed6657d-e927-568b-95e1-2665a8aea6a2'
 */
export const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/**
 * The name-space ID for URLs (RFC 9562 Appendix A.2; libuuid's `NameSpace_URL`).
 * @example
 * import { NAMESPACE_URL, v5 } from '@suite/uuid';
 * v5('https://example.com/', NAMESPACE_URL);
 */
export const NAMESPACE_URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * The name-space ID for ISO object identifiers (RFC 9562 Appendix A.2; libuuid's `NameSpace_OID`, uuidgen's `@oid`).
 * @example
 * import { NAMESPACE_OID, v5 } from '@suite/uuid';
 * v5('1.3.6.1.4.1', NAMESPACE_OID);
 */
export const NAMESPACE_OID = '6ba7b812-9dad-11d1-80b4-00c04fd430c8';

/**
 * The name-space ID for X.500 distinguished names (RFC 9562 Appendix A.2; libuuid's `NameSpace_X500`, uuidgen's
 * `@x500`).
 * @example
 * import { NAMESPACE_X500, v3 } from '@suite/uuid';
 * v3('CN=Suite', NAMESPACE_X500);
 */
export const NAMESPACE_X500 = '6ba7b814-9dad-11d1-80b4-00c04fd430c8';

/**
 * The name-space ID that libuuid's `uuid_get_template` (and so `uuidgen -n @alias`) knows by `alias`: `dns`, `url`,
 * `oid`, `x500` or `x.500`, exactly so (lowercase); undefined for any other name, including `toString` and
 * `__proto__`.
 * @example
 * import { namespaceByAlias } from '@suite/uuid';
 * namespaceByAlias('x.500'); // '6ba7b814-9dad-11d1-80b4-00c04fd430c8'
 * namespaceByAlias('DNS'); // undefined
 */
export function namespaceByAlias(alias: string): string | undefined {
  // A switch, not an object lookup: `constructor` or `__proto__` must not find Object.prototype's members.
  switch (alias) {
    case 'dns':
      return NAMESPACE_DNS;
    case 'url':
      return NAMESPACE_URL;
    case 'oid':
      return NAMESPACE_OID;
    case 'x500':
    case 'x.500':
      return NAMESPACE_X500;
    default:
      return undefined;
  }
}
