import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { DeltaTree, EntryType, TreeEntry } from '../delta/index.js';

/** Options of {@link NodeTree}. */
export interface NodeTreeOptions {
  /** fsync every file before it is renamed into place (survives power loss, not only kill -9; slower). @default false */
  readonly fsync?: boolean;
}

// Read once: process.umask() has no side-effect-free getter, and a CLI does not change its umask midway.
const umask = process.umask();

/** The suffix of the temporary file a new content is written to before it is renamed over the name. */
export const TEMP_SUFFIX = '.ctmtmp';

/**
 * A directory on disk as a {@link DeltaTree}. Every file is written to `NAME.ctmtmp` and renamed over `NAME`, so
 * after a kill -9 at any moment each file is either old or new (and a rerun of the delta finishes the job).
 * Uses synchronous fs calls: applying thousands of small files is several times faster that way; run it in a
 * worker if the event loop must stay free.
 * @example
 * import { NodeTree } from '@suite/ctm-mail/node';
 * const tree = new NodeTree('/usr/src');
 */
export class NodeTree implements DeltaTree {
  readonly #base: string;
  readonly #fsync: boolean;

  constructor(base: string, options: NodeTreeOptions = {}) {
    this.#base = base;
    this.#fsync = options.fsync ?? false;
  }

  #path(name: string): string {
    return name === '' ? this.#base : join(this.#base, name);
  }

  lstat(name: string): TreeEntry | undefined {
    const st = lstatSync(this.#path(name), { throwIfNoEntry: false });
    if (!st) return undefined;
    const type: EntryType = st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : 'other';
    return { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  }

  readFile(name: string): Uint8Array {
    return readFileSync(this.#path(name));
  }

  list(dir: string): string[] {
    return readdirSync(this.#path(dir));
  }

  writeFile(name: string, data: Uint8Array, mode: number): void {
    const path = this.#path(name);
    const temp = path + TEMP_SUFFIX;
    let fd: number;
    try {
      fd = openSync(temp, 'w', mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(temp, 'w', mode);
    }
    try {
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
      if (this.#fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if ((mode & ~umask) !== mode) chmodSync(temp, mode); // open() applied the umask; the delta's mode is what we want
    renameSync(temp, path);
  }

  remove(name: string): void {
    unlinkSync(this.#path(name));
  }

  makeDir(name: string): void {
    mkdirSync(this.#path(name), { recursive: true });
  }

  removeDir(name: string): void {
    rmSync(this.#path(name), { recursive: true, force: true });
  }

  setMode(name: string, mode: number): void {
    chmodSync(this.#path(name), mode);
  }

  setTime(name: string, time: Date): void {
    utimesSync(this.#path(name), time, time);
  }
}
