/** `@suite/ctm-mail/node`: the mail tools on node:fs (the delta format's Node adapters: `@suite/ctm-mail/delta/node`). */
export * from '../index.js';
export { nodeMd5 } from './delta-file.js';
export { fdSource } from './delta-source.js';
export { fileChunks, maildirMessages } from './maildrop-files.js';
export { decodeMimeMessage } from './mime.js';
export { FilePieceStore, type FilePieceStoreOptions } from './piece-store.js';
export { isProcessAlive, processToken } from './process-token.js';
export { type ClaimedEntry, QueueDir, type QueueDirOptions } from './queue-dir.js';
export { describeSigner, signatureGate, signDeltaFile, verifyDeltaFile } from './signed-delta.js';
export { strerror } from './strerror.js';
