// The uuidd client and server on node:net (`@suite/uuid/node`).
export {
  DEFAULT_UUIDD_PIDFILE,
  DEFAULT_UUIDD_SOCKET,
  describeSystemError,
  UuiddCallError,
  type UuiddCallStep,
  UuiddClient,
  type UuiddClientOptions,
  type UuiddRawReply,
} from './uuidd-client.js';
export {
  type UuiddListenTarget,
  UuiddServer,
  type UuiddServerEvent,
  type UuiddServerOptions,
  type UuiddServerStats,
} from './uuidd-server.js';
export { type SafeTimeUuid, type V1SafeOptions, v1Safe } from './v1-safe.js';
