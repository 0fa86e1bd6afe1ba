/**
 * `@suite/ctm-mail`: CTM over mail: split a delta into mail pieces, find pieces in maildrops, store them and
 * rebuild deltas, apply completed ones, sign them. The ctm(5) delta format itself is `@suite/ctm-mail/delta`.
 * @packageDocumentation
 */
export {
  type ApplyCompletedOptions,
  type ApplyCompletedPorts,
  applyCompleted,
  type DeltaVerdict,
} from './applier.js';
export { pieceChecksum } from './checksum.js';
export { type Md5, type Md5Factory, md5Hex, portableMd5 } from './delta/md5.js';
export { deltaFileName, MAX_DELTA_NAME_LENGTH } from './delta-name.js';
export { CtmMailError, type CtmMailErrorCode } from './errors.js';
export { type IntakeOptions, PieceIntake } from './intake.js';
export { logFileLine } from './log-line.js';
export { type MaildropOptions, MaildropReader, type MailSegment } from './maildrop.js';
export { type PieceId, parsePieceFileName, pieceFileName } from './piece-name.js';
export type { HeldLock, LockPort, LogPort, MimeDecoder, PieceStore, PieceWriter } from './ports.js';
export { type MaildropResult, readMaildrop } from './read-maildrop.js';
export { MAX_LINE, MAX_PIECE_COUNT, PieceScanner, type ScanEvent } from './scanner.js';
export {
  type DeltaBytes,
  type KeyInfo,
  Keyring,
  readKeyring,
  readSigningKey,
  SignatureError,
  type SignatureErrorCode,
  SigningKey,
  signatureName,
  signDelta,
  type VerifiedSignature,
  verifyDelta,
} from './signature.js';
export { DEFAULT_MAX_MESSAGE_SIZE, type PiecePlan, planPieces } from './sizing.js';
export {
  type DeltaSource,
  type NoticeOptions,
  noticeMessage,
  type PieceSink,
  pieceHeader,
  type SplitOptions,
  splitDelta,
} from './splitter.js';
