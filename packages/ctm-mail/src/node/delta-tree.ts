import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  futimesSync,
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
import type { DeltaTree, EntryType, TreeEntry } from '../delta/index.js';
import { strerror } from './strerror.js';

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
// Modes and times are set through a descriptor of the name itself, never of a symlink's target.
const NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** The suffix of the temporary file a new content is written to before it is renamed over the name. */
export const TEMP_SUFFIX = '.ctmtmp';
const TEMP_BYTES = Buffer.from(TEMP_SUFFIX);
const SLASH = Buffer.from('/');

/**
 * A directory on disk as a {@link DeltaTree}. Every file is written to `NAME.ctmtmp` and renamed over `NAME`, so
 * after a kill -9 at any moment each file is either old or new (and a rerun of the delta finishes the job); a write
 * that fails (a full disk) removes its `NAME.ctmtmp`. Names are bytes: the tree's byte-string names become Buffer
 * paths, so a name that is not UTF-8 is neither mangled nor confused with another. Uses synchronous fs calls:
 * applying thousands of small files is several times faster that way; run it in a worker if the event loop must
 * stay free.
 * @example
 * import { NodeTree } from '@suite/ctm-mail/node';
 * const tree = new NodeTree('/usr/src');
 */
export class NodeTree implements DeltaTree {
  readonly #base: Buffer;
  readonly #fsync: boolean;
  readonly #async: boolean;

  constructor(base: string, options: NodeTreeOptions = {}) {
    this.#base = Buffer.from(base);
    this.#fsync = options.fsync ?? false;
    this.#async = options.io === 'async';
  }

  #path(name: string): Buffer {
    return name === '' ? this.#base : Buffer.concat([this.#base, SLASH, Buffer.from(name, 'latin1')]);
  }

  #parent(name: string): Buffer {
    const slash = name.lastIndexOf('/');
    return slash < 0 ? this.#base : this.#path(name.slice(0, slash));
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
    return readdirSync(this.#path(dir), { encoding: 'buffer' }).map((entry) => entry.toString('latin1'));
  }

  writeFile(name: string, data: Uint8Array | AsyncIterable<Uint8Array>, mode: number): void | Promise<void> {
    if (this.#async || !(data instanceof Uint8Array)) return this.#writeFileAsync(name, data, mode);
    const path = this.#path(name);
    const temp = Buffer.concat([path, TEMP_BYTES]);
    let fd: number;
    try {
      fd = this.#openTemp(name, temp, mode);
    } catch (error) {
      throw named(name, error);
    }
    try {
      try {
        for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
        if (this.#fsync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if ((mode & ~umask) !== mode) chmodSync(temp, mode); // open() applied the umask; the delta's mode is what we want
      renameSync(temp, path);
    } catch (error) {
      removeQuietly(temp);
      throw named(name, error);
    }
  }

  #openTemp(name: string, temp: Buffer, mode: number): number {
    try {
      return openSync(temp, WRITE, mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') mkdirSync(this.#parent(name), { recursive: true });
      else if (code === 'ELOOP')
        unlinkSync(temp); // never write through a symlink someone left at NAME.ctmtmp
      else throw error;
      return openSync(temp, WRITE | constants.O_EXCL, mode);
    }
  }

  async #writeFileAsync(
    name: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    mode: number,
  ): Promise<void> {
    const path = this.#path(name);
    const temp = Buffer.concat([path, TEMP_BYTES]);
    let file: fsp.FileHandle;
    try {
      file = await fsp.open(temp, WRITE, mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') await fsp.mkdir(this.#parent(name), { recursive: true });
      else if (code === 'ELOOP') await fsp.unlink(temp);
      else throw named(name, error);
      file = await fsp.open(temp, WRITE | constants.O_EXCL, mode).catch((e: unknown) => {
        throw named(name, e);
      });
    }
    try {
      try {
        if (data instanceof Uint8Array) await file.writeFile(data);
        else for await (const chunk of data) await file.write(chunk);
        if (this.#fsync) await file.sync();
      } finally {
        await file.close();
      }
      if ((mode & ~umask) !== mode) await fsp.chmod(temp, mode);
      await fsp.rename(temp, path);
    } catch (error) {
      removeQuietly(temp);
      throw named(name, error);
    }
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
    this.#onItself(
      name,
      (fd) => fchmodSync(fd, mode),
      (path) => chmodSync(path, mode),
    );
  }

  setTime(name: string, time: Date): void {
    this.#onItself(
      name,
      (fd) => futimesSync(fd, time, time),
      (path) => utimesSync(path, time, time),
    );
  }

  /**
   * Runs `change` on a descriptor of `name` itself: a symlink there fails with ELOOP instead of being followed.
   * A file we may not open for reading (mode 0200, not root) is changed by name once lstat says it is no symlink.
   */
  #onItself(name: string, change: (fd: number) => void, byPath: (path: Buffer) => void): void {
    const path = this.#path(name);
    let fd: number;
    try {
      fd = openSync(path, NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EACCES' || lstatSync(path).isSymbolicLink()) throw error;
      byPath(path);
      return;
    }
    try {
      change(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** A system error as ctm(1)'s warn(3) puts it, `NAME: No space left on device`, keeping its `code`. */
function named(name: string, error: unknown): Error {
  if (!(error instanceof Error) || typeof (error as NodeJS.ErrnoException).code !== 'string')
    return error as Error;
  return Object.assign(new Error(`${name}: ${strerror(error)}`), {
    code: (error as NodeJS.ErrnoException).code,
  });
}

function removeQuietly(path: Buffer): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already renamed
  }
}
