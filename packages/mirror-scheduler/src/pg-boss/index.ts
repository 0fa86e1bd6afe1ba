export {
  connectFleet,
  type FleetConnection,
  type FleetConnectionOptions,
  type FleetDatabase,
  QUEUE_POLICY,
  type Query as FleetQuery,
  type Transaction as FleetTransaction,
} from './database.js';
export { FleetError, type FleetErrorCode } from './fleet-error.js';
export { deathSignalAvailable, type FleetExecutorOptions, fleetExecutor } from './fleet-executor.js';
export type { FleetJobData, FleetJobSpec } from './fleet-job.js';
export { formatFleetMetrics } from './fleet-metrics.js';
export {
  type FleetStatusSnapshot,
  type FleetStatusSnapshotOptions,
  fleetStatusSnapshot,
} from './fleet-page.js';
export {
  cancelFleetJob,
  type FleetJobRow,
  type FleetStatus,
  type FleetWorkerRow,
  fleetStatus,
} from './fleet-status.js';
export { type FleetSnapshot, fleetSnapshot } from './fleet-store.js';
export { enqueueDueJobs, type FleetPlanOptions, type FleetPlanSummary } from './planner.js';
export { type FleetWorkerOptions, type FleetWorkerSummary, runFleetWorker } from './worker.js';
