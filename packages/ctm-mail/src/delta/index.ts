/**
 * `@suite/ctm-mail/delta`: the ctm(5) delta format: parse, verify, apply and make deltas, and `.ctm_status`.
 * Platform-neutral: files come through the {@link DeltaTree} port; `@suite/ctm-mail/delta/node` has the Node ones.
 * Errors are {@link CtmError}, with a `code` and the ctm(1) exit status.
 * @packageDocumentation
 */
export const CTM_DELTA_VERSION = '2.0';

export {
  type ApplyOptions,
  type ApplyOutcome,
  type ApplyResult,
  applyDelta,
  type DeltaFilter,
  deltaTime,
} from './apply.js';
export { diffTrees, type MakeDeltaOptions, makeDelta } from './differ.js';
export { applyEditScript, applyEdits, type EditOp, parseDiffN, parseEdScript } from './edit.js';
export { CtmError, type CtmErrorCode, CtmExit } from './errors.js';
export { diffN } from './line-diff.js';
export { type Md5, type Md5Factory, md5Hex, portableMd5 } from './md5.js';
export { MemoryTree } from './memory-tree.js';
export { deltaName } from './name.js';
export { type DeltaItem, type DeltaSource, type ReadDeltaOptions, readDelta } from './parser.js';
export {
  type AttributeSet,
  type DataStream,
  type DeltaAttributes,
  type DeltaHeader,
  type DeltaRecord,
  type DirMake,
  type DirRemove,
  type FileChange,
  type FileMake,
  type FileRemove,
  JOURNAL_FILE,
  type RecordKey,
  STATUS_FILE,
} from './record.js';
export { type CtmStatus, parseCtmStatus, readCtmStatus } from './status-file.js';
export type { DeltaTree, EntryType, MaybePromise, TreeEntry } from './tree.js';
export { deltaTimestamp, encodeDelta } from './writer.js';
