import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = 1024 * 1024;

/**
 * The bytes of a file in chunks of 1 MiB, read into one reused buffer: each chunk must be consumed before the
 * next is asked for (as {@link readMaildrop} does).
 * @example
 * for await (const chunk of fileChunks('/var/mail/ctm')) ...
 */
export async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  // Synchronous reads: a thread-pool round trip per chunk costs more than it saves when the machine is busy.
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The message files of a Maildir (`new/` then `cur/`, each sorted), or, for a plain directory, its regular files
 * that do not start with `.`, sorted.
 * @example
 * for (const file of maildirMessages('/home/ctm/Maildir')) ...
 */
export function maildirMessages(dir: string): string[] {
  const subdirs = ['new', 'cur'].map((d) => join(dir, d)).filter(isDirectory);
  const dirs = subdirs.length > 0 ? subdirs : [dir];
  const files: string[] = [];
  for (const d of dirs) {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const path = join(d, name);
      if (statSync(path).isFile()) files.push(path);
    }
  }
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
