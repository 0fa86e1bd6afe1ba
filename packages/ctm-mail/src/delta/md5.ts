// The MD5 ctm(5) uses lives in @suite/internal (bundled into this package); this module names what the delta
// format exports of it.
export { type Md5, type Md5Factory, md5Hex, portableMd5 } from '@suite/internal';
