/** Where a configuration statement came from: a file name (or `cmdin:COMMAND`, or `-` for stdin) and a line. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

/**
 * A warning or an error about configuration input, naming the file and line.
 * @example
 * formatDiagnostic({ file: 'mm.conf', line: 3, severity: 'warning', message: 'unparsable line' });
 * // 'mm.conf:3: warning: unparsable line'
 */
export interface Diagnostic extends SourcePosition {
  /** `error`: mm exits 2; `warning`: shown, the rest runs; `info`: worth saying only when asked (`--verbose`). */
  readonly severity: 'info' | 'warning' | 'error';
  readonly message: string;
}

/** `file:line: severity: message`, the way compilers print it. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}

/** The codes of {@link MirrorSchedulerError}. */
export type MirrorSchedulerErrorCode = 'ECONFIG' | 'EBADNAME' | 'EBADJOB';

/**
 * An error of this package, with a `code` a program can test.
 * @example
 * try { parseJobName('a/b:c', at) } catch (e) { if (e instanceof MirrorSchedulerError) e.code; } // 'EBADNAME'
 */
export class MirrorSchedulerError extends Error {
  override readonly name = 'MirrorSchedulerError';
  constructor(
    readonly code: MirrorSchedulerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
