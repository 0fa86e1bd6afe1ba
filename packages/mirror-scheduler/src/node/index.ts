export * from '../index.js';
export { nodeConfigHost } from './config-host.js';
export { type ShellExecutorOptions, shellExecutor } from './shell-executor.js';
export {
  type FileLock,
  STATUS_FILE,
  STATUS_RECORDS_FILE,
  type StatusFileStore,
  type StatusFileStoreOptions,
  statusFileStore,
} from './status-file-store.js';
