import {
  chmodSync,
  closeSync,
  constants,
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
import * as fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DeltaTree, EntryType, TreeEntry } from '../delta/index.js';

/** Options of {@link NodeTree}. */
export interface NodeTreeOptions {
  /** fsync every file before it is renamed into place (survives power loss, not only kill -9; slower). @default false */
  readonly fsync?: boolean;
  /**
   * `async`: writes and removals go through node:fs/promises, so that an apply with `concurrency` above 1 keeps
   * several in flight (reads and checks stay synchronous). @default 'sync'
   */
  readonly io?: 'sync' | 'async';
}

// Read once: process.umask() has no side-effect-free getter, and a CLI does not change its umask midway.
const umask = process.umask();

// A temporary file is opened without following a symlink.
const WRITE = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

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
  readonly #async: boolean;

  constructor(base: string, options: NodeTreeOptions = {}) {
    this.#base = base;
    this.#fsync = options.fsync ?? false;
    this.#async = options.io === 'async';
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

  writeFile(name: string, data: Uint8Array, mode: number): void | Promise<void> {
    if (this.#async) return this.#writeFileAsync(name, data, mode);
    const path = this.#path(name);
    const temp = path + TEMP_SUFFIX;
    let fd: number;
    try {
      fd = openSync(temp, WRITE, mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') mkdirSync(dirname(path), { recursive: true });
      else if (code === 'ELOOP')
        unlinkSync(temp); // never write through a symlink someone left at NAME.ctmtmp
      else throw error;
      fd = openSync(temp, WRITE | constants.O_EXCL, mode);
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

  async #writeFileAsync(name: string, data: Uint8Array, mode: number): Promise<void> {
    const path = this.#path(name);
    const temp = path + TEMP_SUFFIX;
    let file: fsp.FileHandle;
    try {
      file = await fsp.open(temp, WRITE, mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') await fsp.mkdir(dirname(path), { recursive: true });
      else if (code === 'ELOOP') await fsp.unlink(temp);
      else throw error;
      file = await fsp.open(temp, WRITE | constants.O_EXCL, mode);
    }
    try {
      await file.writeFile(data);
      if (this.#fsync) await file.sync();
    } finally {
      await file.close();
    }
    if ((mode & ~umask) !== mode) await fsp.chmod(temp, mode);
    await fsp.rename(temp, path);
  }

  remove(name: string): void | Promise<void> {
    if (this.#async) return fsp.unlink(this.#path(name));
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
