// `@suite/mirror-scheduler/mm`: Mirror Master's own formats on top of the generic scheduler of the root entry: its
// configuration language, the plan it loads into jobs, the status file's lines, pkgs_to_mmin's package file and
// the mirror command it runs.
export { type JobLine, type ParsedConfig, parseConfig, type Statement } from '../config.js';
export { DEFAULT_MIRROR_COMMAND, mirrorCommand, type ShellCommand } from '../mirror-command.js';
export { type MirrorPackage, packageFileToJobLines, parsePackageFile } from '../package-file.js';
export {
  type CommandOptions,
  type ConfigHost,
  type ConfigSource,
  type LoadConfigOptions,
  loadConfig,
  type MirrorJob,
  type MirrorPlan,
  type ReadConfigOptions,
  readConfig,
} from '../plan.js';
export {
  formatStatusFile,
  mergeStatusFile,
  parseStatusFile,
  recordOfStatusLine,
  type StatusFileEntry,
  type StatusLine,
  statusLineOf,
  waitStatus,
} from '../status-line.js';
