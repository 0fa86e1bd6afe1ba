/** Writes text to a stream and waits until it is flushed; a closed pipe (EPIPE) ends quietly, as util-linux does. */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => {
      if (!error || (error as NodeJS.ErrnoException).code === 'EPIPE') resolve();
      else reject(error);
    });
  });
}

/** Prints `program: message` and util-linux's hint, to stderr; returns the exit status 1. */
export function usageError(program: string, message: string): number {
  process.stderr.write(`${program}: ${message}\nTry '${program} --help' for more information.\n`);
  return 1;
}

/** The `-V` line. */
export function versionLine(program: string): string {
  return `${program} from @suite/cli (util-linux 2.42 compatible)\n`;
}
