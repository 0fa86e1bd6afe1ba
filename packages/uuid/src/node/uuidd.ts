/** The uuidd client and server on node:net. Filled in by the uuidd issue. */
export const DEFAULT_UUIDD_SOCKET = '/run/uuidd/request';
