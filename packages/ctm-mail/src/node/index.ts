export * from '../index.js';
export * from './delta.js';
export { fdSource } from './delta-source.js';
export { fileChunks, maildirMessages } from './maildrop-files.js';
export { decodeMimeMessage } from './mime.js';
export { FilePieceStore, type FilePieceStoreOptions } from './piece-store.js';
export { type ClaimedEntry, QueueDir } from './queue-dir.js';
export { describeSigner, signatureGate, signDeltaFile, verifyDeltaFile } from './signed-delta.js';
export { strerror } from './strerror.js';
