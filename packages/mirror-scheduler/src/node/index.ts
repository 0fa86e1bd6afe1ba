export * from '../index.js';
export { nodeConfigHost } from './config-host.js';
export {
  type ForkServerExecutor,
  type ForkServerExecutorOptions,
  forkServerAvailable,
  forkServerExecutor,
  type JobKeeper,
} from './fork-server.js';
export {
  HISTORY_FILE,
  type HistoryFileStore,
  type HistoryFileStoreOptions,
  historyFileStore,
} from './history-file-store.js';
export { type ShellExecutorOptions, shellExecutor } from './shell-executor.js';
export {
  type FileLock,
  STATUS_FILE,
  STATUS_JOURNAL_FILE,
  STATUS_RECORDS_FILE,
  type StatusFileStore,
  type StatusFileStoreOptions,
  statusFileStore,
} from './status-file-store.js';
