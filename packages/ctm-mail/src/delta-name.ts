import { CtmMailError } from './errors.js';

/** The longest delta name the original reads from a `CTM_MAIL BEGIN` line. */
export const MAX_DELTA_NAME_LENGTH = 29;

/**
 * Turns the name on a `CTM_MAIL BEGIN` line into the file name of the delta: `/` becomes `_` as in the original.
 * Names come from mail, so they are untrusted: a name that starts with `.` (`..`, dot-files such as the lock
 * and temporary files), is longer than 29 characters, or holds control or non-ASCII characters is refused.
 * @throws {CtmMailError} `EBADNAME`, with a message naming the problem.
 * @example
 * deltaFileName('src-cur.0042.gz'); // 'src-cur.0042.gz'
 * deltaFileName('a/b'); // 'a_b'
 * deltaFileName('../../etc'); // throws: starts with '.'
 */
export function deltaFileName(name: string): string {
  if (name.length === 0) throw new CtmMailError('EBADNAME', 'empty delta name');
  if (/[^\x21-\x7e]/.test(name)) {
    throw new CtmMailError('EBADNAME', `delta name ${printable(name)} holds control or non-ASCII characters`);
  }
  if (name.length > MAX_DELTA_NAME_LENGTH) {
    throw new CtmMailError(
      'EBADNAME',
      `delta name ${printable(name)} is longer than ${MAX_DELTA_NAME_LENGTH} characters`,
    );
  }
  const mapped = name.replaceAll('/', '_');
  if (mapped.startsWith('.')) {
    throw new CtmMailError('EBADNAME', `delta name ${printable(name)} starts with '.'`);
  }
  return mapped;
}

/** `text` quoted, with control characters and other unprintables escaped, for a log line. */
export function printable(text: string): string {
  return `'${text.replace(/[^\x20-\x7e]|\\/g, escapeChar)}'`;
}

/** One character as the original prints it (`%c`), or escaped when it would break the log line. */
export function printableChar(code: number): string {
  return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : escapeChar(String.fromCharCode(code));
}

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\\') return '\\\\';
  if (code === 10) return '\\n';
  if (code === 13) return '\\r';
  if (code === 9) return '\\t';
  return `\\x${code.toString(16).padStart(2, '0')}`;
}
