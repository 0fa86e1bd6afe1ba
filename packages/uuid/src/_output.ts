import { unsafeStringify } from './stringify.js';

/** Copies 16 bytes from `src` into `buf` at `offset` (returning `buf`), or formats them when there is no `buf`. */
export function output<TBuf extends Uint8Array>(
  src: Uint8Array,
  srcOffset: number,
  buf: TBuf | undefined,
  offset: number | undefined,
): string | TBuf {
  if (buf === undefined) return unsafeStringify(src, srcOffset);
  const at = offset ?? 0;
  if (!(at >= 0 && at + 16 <= buf.length)) {
    throw new RangeError(`UUID byte range ${at}:${at + 15} is out of buffer bounds`);
  }
  for (let i = 0; i < 16; i++) buf[at + i] = src[srcOffset + i] as number;
  return buf;
}

/** Whether any option is actually set (`{}` means the defaults, as no options do). */
export function hasOptions(options: object | undefined): boolean {
  if (options === undefined || options === null) return false;
  for (const key in options) if ((options as Record<string, unknown>)[key] !== undefined) return true;
  return false;
}
