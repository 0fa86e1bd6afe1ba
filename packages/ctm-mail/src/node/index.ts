export * from '../index.js';
export * from './delta.js';
export { fdSource } from './delta-source.js';
export { fileChunks, maildirMessages } from './maildrop-files.js';
export { decodeMimeMessage } from './mime.js';
export { FilePieceStore, type FilePieceStoreOptions } from './piece-store.js';
export { isProcessAlive, processToken } from './process-token.js';
export { type ClaimedEntry, QueueDir, type QueueDirOptions } from './queue-dir.js';
export { strerror } from './strerror.js';
