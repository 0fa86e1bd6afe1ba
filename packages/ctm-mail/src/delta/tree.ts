/** What a name in a tree is, without following a symlink. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

/** What {@link DeltaTree.lstat} tells about a name. */
export interface TreeEntry {
  readonly type: EntryType;
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** A value, or a promise of it: adapters may answer synchronously. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The tree a delta applies to, or that `diffTrees` reads: the engine's only window on files. Names are relative,
 * `/`-separated and already checked (no `..`, not absolute); `''` is the top of the tree. Names are byte strings
 * (one character per byte, Node's `latin1`): a name that is not UTF-8 keeps its bytes.
 * `writeFile` must be atomic (a reader, or a rerun after a crash, sees the old or the new content, never a part).
 */
export interface DeltaTree {
  /** What `name` is, not following a final symlink; `undefined` when it does not exist. */
  lstat(name: string): MaybePromise<TreeEntry | undefined>;
  /** The bytes of a regular file. */
  readFile(name: string): MaybePromise<Uint8Array>;
  /** The names in a directory (just the last component), in any order. */
  list(dir: string): MaybePromise<readonly string[]>;
  /**
   * Creates or replaces a regular file atomically with these bytes and permission bits; makes missing parents.
   * `data` may come as chunks (a big file streamed from the delta), each valid until the next is asked for; if
   * they throw, the file is left as it was and nothing temporary remains.
   */
  writeFile(name: string, data: Uint8Array | AsyncIterable<Uint8Array>, mode: number): MaybePromise<void>;
  /** Removes a file. */
  remove(name: string): MaybePromise<void>;
  /** Makes a directory and any missing parents (like `mkdir -p`). */
  makeDir(name: string): MaybePromise<void>;
  /** Removes a directory and everything left in it, never following a symlink. */
  removeDir(name: string): MaybePromise<void>;
  /** Sets permission bits of `name` itself: never through a symlink. */
  setMode(name: string, mode: number): MaybePromise<void>;
  /** Sets the access and modification times of `name` itself: never through a symlink. */
  setTime(name: string, time: Date): MaybePromise<void>;
}
