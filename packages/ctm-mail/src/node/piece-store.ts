import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { PieceStore, PieceWriter } from '../ports.js';
import { strerror } from './strerror.js';

/** Options of {@link FilePieceStore}. */
export interface FilePieceStoreOptions {
  /** -p: where pieces wait for the rest of their delta. */
  readonly pieceDir: string;
  /** -d: where rebuilt deltas go. */
  readonly deltaDir: string;
  /** The process's umask: deltas get mode 0666 & ~umask, as in the original. @default 0o022 */
  readonly umask?: number;
}

const PIECE_TEMP = '.p.';
/**
 * `.rebuilt/.clean` in the delta directory: left by a run that ended with nothing to finish (see
 * {@link PieceStore.markClean}), holding the piece directory's path; a run removes it as it starts, so that one
 * that dies leaves none. Delta names never start with `.`, so it is no delta's marker.
 */
const CLEAN_MARK = '.clean';
const DELTA_TEMP = '.d.';
/**
 * Marker files, one per rebuilt delta, in the delta directory: the number of pieces and the digest of each, so
 * that a duplicate (a piece identical to one used) is told from a conflicting piece.
 */
const REBUILT_DIR = '.rebuilt';
/** A marker being written: `.rebuilt/.m.PID.N` (delta names never start with `.`). */
const MARKER_TEMP = '.m.';

let counter = 0;

/**
 * The piece store on real directories: pieces are written under dot-file temporaries and renamed into place as
 * `NAME+PPP-NNN`; a delta is concatenated into a temporary in the delta directory and renamed to `NAME`; a marker
 * `.rebuilt/NAME` in the delta directory remembers it. Nothing is ever written under a name that starts with a
 * delta name except pieces and deltas, and names were checked by the scanner.
 * @example
 * const store = new FilePieceStore({ pieceDir: '/ctm/pieces', deltaDir: '/ctm/deltas' });
 */
export class FilePieceStore implements PieceStore {
  readonly #pieceDir: string;
  readonly #deltaDir: string;
  readonly #umask: number;

  constructor(options: FilePieceStoreOptions) {
    this.#pieceDir = options.pieceDir;
    this.#deltaDir = options.deltaDir;
    this.#umask = options.umask ?? 0o022;
  }

  async list(): Promise<readonly string[]> {
    return readdirSync(this.#pieceDir);
  }

  async has(file: string): Promise<boolean> {
    const path = join(this.#pieceDir, file);
    try {
      return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
    } catch (error) {
      throw new Error(`cannot look for '${path}': ${strerror(error)}`);
    }
  }

  async takeClean(): Promise<boolean> {
    const path = join(this.#deltaDir, REBUILT_DIR, CLEAN_MARK);
    try {
      // The mark names the piece directory it speaks for: another piece directory beside the same deltas is listed.
      const clean = readFileSync(path, 'utf8') === resolve(this.#pieceDir);
      unlinkSync(path);
      return clean;
    } catch {
      return false; // not there (or not removable): the piece directory is listed, as it always was before
    }
  }

  async markClean(): Promise<void> {
    const dir = join(this.#deltaDir, REBUILT_DIR);
    const path = join(dir, CLEAN_MARK);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, resolve(this.#pieceDir));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') return;
      throw new Error(`cannot create '${path}': ${strerror(error)}`);
    }
  }

  async create(): Promise<PieceWriter> {
    const temp = join(this.#pieceDir, `${PIECE_TEMP}${process.pid}.${++counter}`);
    let fd: number;
    try {
      fd = openSync(temp, 'wx', 0o600);
    } catch (error) {
      throw new Error(`mkstemp: '${temp}': ${strerror(error)}`);
    }
    let open = true;
    const close = () => {
      if (open) {
        open = false;
        closeSync(fd);
      }
    };
    return {
      write: (bytes) => {
        try {
          let at = 0;
          while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
        } catch (error) {
          throw new Error(`error writing ${temp}: ${strerror(error)}`);
        }
      },
      commit: async (file) => {
        close();
        const target = join(this.#pieceDir, file);
        try {
          renameSync(temp, target);
        } catch (error) {
          throw new Error(`rename: '${temp}' to '${target}': ${strerror(error)}`);
        }
      },
      discard: async () => {
        close();
        try {
          unlinkSync(temp);
        } catch {
          // already gone
        }
      },
    };
  }

  async read(file: string): Promise<Uint8Array> {
    const path = join(this.#pieceDir, file);
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`cannot open '${path}' for reading: ${strerror(error)}`);
    }
  }

  async remove(file: string): Promise<void> {
    const path = join(this.#pieceDir, file);
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT')
        throw new Error(`unlink: '${path}': ${strerror(error)}`);
    }
  }

  async removeTemporaries(): Promise<void> {
    for (const [dir, prefix] of [
      [this.#pieceDir, PIECE_TEMP],
      [this.#deltaDir, DELTA_TEMP],
      [join(this.#deltaDir, REBUILT_DIR), MARKER_TEMP],
    ] as const) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue; // no marker yet
      }
      for (const name of names) {
        if (name.startsWith(prefix)) {
          try {
            unlinkSync(join(dir, name));
          } catch {
            // another cleaner got there first
          }
        }
      }
    }
  }

  async build(name: string, pieces: readonly (string | Uint8Array)[]): Promise<void> {
    const temp = join(this.#deltaDir, `${DELTA_TEMP}${process.pid}.${++counter}`);
    let fd: number;
    try {
      fd = openSync(temp, 'wx', 0o600);
    } catch (error) {
      throw new Error(`mkstemp: '${temp}': ${strerror(error)}`);
    }
    try {
      for (const piece of pieces) {
        let bytes: Uint8Array;
        if (typeof piece === 'string') {
          const path = join(this.#pieceDir, piece);
          try {
            bytes = readFileSync(path);
          } catch (error) {
            throw new Error(`cannot open '${path}' for reading: ${strerror(error)}`);
          }
        } else {
          bytes = piece;
        }
        try {
          let at = 0;
          while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
        } catch (error) {
          throw new Error(`error writing '${temp}': ${strerror(error)}`);
        }
      }
      closeSync(fd);
      fd = -1;
      const target = join(this.#deltaDir, name);
      chmodSync(temp, 0o666 & ~this.#umask);
      try {
        renameSync(temp, target);
      } catch (error) {
        throw new Error(`rename: '${temp}' to '${target}': ${strerror(error)}`);
      }
    } catch (error) {
      if (fd >= 0) closeSync(fd);
      try {
        unlinkSync(temp);
      } catch {
        // never created or already renamed
      }
      throw error;
    }
  }

  async rebuiltFrom(name: string): Promise<readonly string[] | undefined> {
    let text: string;
    try {
      text = readFileSync(join(this.#deltaDir, REBUILT_DIR, name), 'latin1');
    } catch {
      return undefined;
    }
    // `COUNT` then one digest a line; an empty marker (older versions) knows no pieces.
    const [count, ...digests] = text.split('\n').filter((line) => line !== '');
    return count !== undefined && Number(count) === digests.length ? digests : [];
  }

  async markRebuilt(name: string, pieces: readonly string[]): Promise<void> {
    const dir = join(this.#deltaDir, REBUILT_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const temp = join(dir, `${MARKER_TEMP}${process.pid}.${++counter}`);
    try {
      writeFileSync(temp, `${pieces.length}\n${pieces.map((d) => `${d}\n`).join('')}`, { mode: 0o644 });
      renameSync(temp, join(dir, name));
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        // never written
      }
      throw new Error(`cannot record '${name}' as rebuilt in '${dir}': ${strerror(error)}`);
    }
  }
}
