// `@suite/uuid/uuidd/node`: the uuidd protocol (everything `@suite/uuid/uuidd` exports) with its client and server
// on node:net. Random UUIDs the server hands out come from node:crypto, as with `@suite/uuid/node`.
import { useNodeRandom } from './random.js';

useNodeRandom();

export * from '../uuidd-protocol.js';
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
