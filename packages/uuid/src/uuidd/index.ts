// `@suite/uuid/uuidd`: util-linux's uuidd wire protocol (request and reply codecs, the responder a server runs), pure
// and platform-neutral like the root. The client and server on node:net are in `@suite/uuid/uuidd/node`.
export * from '../uuidd-protocol.js';
