// @suite/internal: what several Suite libraries share, bundled into each (never published). Platform-neutral.
export { BYTE_TO_HEX, HEX_VALUE, hexOf } from './hex.js';
export { latin1Bytes, latin1String } from './latin1.js';
export { type Md5, type Md5Factory, md5, md5Hex, portableMd5 } from './md5.js';
export { pool, type RandomFill, RandomPool, randomFill, setRandomFill, webCryptoFill } from './random.js';
export { ERRNO_TEXTS, errnoText, strerror } from './strerror.js';
