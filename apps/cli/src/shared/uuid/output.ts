import { versionText } from '../version.js';

const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * Writes text to a stream and waits until it is flushed. Resolves false once the reader has gone (EPIPE): like
 * util-linux's close_stdout, that ends the output quietly instead of failing.
 */
export function write(stream: NodeJS.WritableStream, text: string | Uint8Array): Promise<boolean> {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    // Errors reach the write callbacks; without a listener, an 'error' event would also kill the process.
    stream.on('error', () => {});
  }
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => {
      if (!error) resolve(true);
      else if ((error as NodeJS.ErrnoException).code === 'EPIPE') resolve(false);
      else reject(error);
    });
  });
}

/** Prints `program: message` and util-linux's hint, to stderr; returns the exit status 1. */
export function usageError(program: string, message: string): number {
  process.stderr.write(`${program}: ${message}\nTry '${program} --help' for more information.\n`);
  return 1;
}

/** The `-V` line: util-linux's, with our version after it. */
export function versionLine(program: string): string {
  return versionText(program);
}
