import { readFileSync } from 'node:fs';

/**
 * The command-line arguments as the bytes the program was given, each as a "byte string" (one char per byte,
 * latin1), so that a name that is not UTF-8 can be hashed as it is: Node decodes argv as UTF-8 and turns bad
 * bytes into U+FFFD, which would give different names the same UUID. On Linux the bytes are in
 * /proc/self/cmdline; they are used only when their tail decodes to exactly `argv`. Otherwise each argument is
 * its UTF-8 encoding, and `exact` is false: an argument holding U+FFFD may then stand for bytes we cannot know.
 */
export function rawArgv(argv: readonly string[]): { args: string[]; exact: boolean } {
  const fallback = () => ({ args: argv.map((a) => Buffer.from(a, 'utf8').toString('latin1')), exact: false });
  let cmdline: Buffer;
  try {
    cmdline = readFileSync('/proc/self/cmdline');
  } catch {
    return fallback();
  }
  const words: Buffer[] = [];
  for (let at = 0; at < cmdline.length; ) {
    let end = cmdline.indexOf(0, at);
    if (end < 0) end = cmdline.length;
    words.push(cmdline.subarray(at, end));
    at = end + 1;
  }
  if (words.length < argv.length) return fallback();
  const tail = words.slice(words.length - argv.length);
  if (!tail.every((word, i) => word.toString('utf8') === argv[i])) return fallback();
  return { args: tail.map((word) => word.toString('latin1')), exact: true };
}

/** A byte string (latin1) as the bytes it stands for. */
export function bytesOf(byteString: string): Uint8Array {
  return Uint8Array.from(Buffer.from(byteString, 'latin1'));
}
