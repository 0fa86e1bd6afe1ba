// `@suite/mirror-scheduler`: the generic scheduler (jobs, ports, events, status records, history, status page).
// Mirror Master's formats (config, plan, status line, package file, mirror command) are in `./mm`.
export {
  type Diagnostic,
  formatDiagnostic,
  MirrorSchedulerError,
  type MirrorSchedulerErrorCode,
  type SourcePosition,
} from './diagnostic.js';
export type { RunSummary, SchedulerEvent, SkipReason } from './events.js';
export {
  formatCompactedJournal,
  formatJournalRun,
  type JournalHeader,
  type JournalJob,
  type ParsedJournal,
  parseJournal,
  parseJournalTail,
} from './history-journal.js';
export type { Backoff, Job, JobContext, Step } from './job.js';
export { type JobName, parseJobName } from './job-name.js';
export { createMemoryLocks, createMemoryStatusStore, systemClock, systemTimers } from './memory-ports.js';
export { formatMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics.js';
export type {
  Clock,
  Executor,
  ExitResult,
  JobLock,
  LockAttempt,
  LockHolder,
  LockPort,
  RunningProcess,
  StatusStore,
  Timers,
} from './ports.js';
export {
  addToTotals,
  createMemoryRunHistory,
  DURATION_BUCKETS_SECONDS,
  emptyTotals,
  type JobHistory,
  mergeTotals,
  RUN_RESULTS,
  type RunEntry,
  type RunHistoryRecorder,
  type RunHistoryStore,
  type RunResult,
  type RunTotals,
  runEntryOf,
  runHistoryRecorder,
} from './run-history.js';
export {
  type Entries as PlanEntries,
  type Entry as PlanEntry,
  explain,
  type JobRun,
  type JobVerdict,
  runJobs,
  type SchedulerOptions,
} from './scheduler.js';
export { renderStatusPage, type StatusPageOptions } from './status-page.js';
export {
  interrupted,
  nextEligibleAt,
  recordFinished,
  recordStarted,
  type StatusRecord,
} from './status-record.js';
export {
  type FleetOverview,
  type FleetWorkerView,
  type Freshness,
  JOB_STATES,
  type JobState,
  type JobStatus,
  type LastAttempt,
  type StatusSnapshot,
  type StatusSnapshotOptions,
  statusSnapshot,
} from './status-snapshot.js';
export { type TunasyncJob, tunasyncJobs } from './tunasync-jobs.js';
