// @suite/internal/node: the shared Node adapters, bundled into each library's node entry (never published).
export { hasProc, isProcessAlive, type ProcStat, processStartTime, procStat } from './process.js';
