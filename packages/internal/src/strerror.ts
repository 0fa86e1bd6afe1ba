/** glibc's strerror(3) texts for the errno codes the Suite's tools meet (Node names them in `error.code`). */
export const ERRNO_TEXTS: Readonly<Record<string, string>> = {
  E2BIG: 'Argument list too long',
  EACCES: 'Permission denied',
  EAGAIN: 'Resource temporarily unavailable',
  EBADF: 'Bad file descriptor',
  EBUSY: 'Device or resource busy',
  ECONNREFUSED: 'Connection refused',
  EDQUOT: 'Disk quota exceeded',
  EEXIST: 'File exists',
  EFBIG: 'File too large',
  EINVAL: 'Invalid argument',
  EIO: 'Input/output error',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  ENFILE: 'Too many open files in system',
  ENOENT: 'No such file or directory',
  ENOEXEC: 'Exec format error',
  ENOMEM: 'Cannot allocate memory',
  ENOSPC: 'No space left on device',
  ENOTDIR: 'Not a directory',
  ENOTEMPTY: 'Directory not empty',
  ENXIO: 'No such device or address',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  EROFS: 'Read-only file system',
  ETIMEDOUT: 'Connection timed out',
  ETXTBSY: 'Text file busy',
  EXDEV: 'Invalid cross-device link',
};

/**
 * The C library's text for an errno code, or undefined for a code it does not know.
 * @example
 * errnoText('ENOENT'); // 'No such file or directory'
 */
export function errnoText(code: string | undefined): string | undefined {
  return code !== undefined && Object.hasOwn(ERRNO_TEXTS, code) ? ERRNO_TEXTS[code] : undefined;
}

/**
 * The C library's text for a system error (`strerror`), so that messages read like the originals'
 * (`cannot open 'x': No such file or directory`); the error's own message when its code is not a known errno.
 * @example
 * strerror(Object.assign(new Error(), { code: 'ENOENT' })); // 'No such file or directory'
 */
export function strerror(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const text = typeof code === 'string' ? errnoText(code) : undefined;
  if (text !== undefined) return text;
  return error instanceof Error ? error.message : String(error);
}
