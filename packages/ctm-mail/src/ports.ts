/** A held lock; `release()` lets the next waiter in. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * The locks ctm_rmail takes: `build` around every change to the piece and delta directories, `apply` around
 * applying deltas. `acquire` waits until the lock is free. The CLI hands in @suite/lockfile.
 */
export interface LockPort {
  acquire(name: 'build' | 'apply'): Promise<HeldLock>;
}

/** Where log lines go (ctm_rmail: stderr as `prog: message`, or a log file with time stamps). */
export type LogPort = (message: string) => void;

/** A piece being written under a temporary name. */
export interface PieceWriter {
  /** Appends bytes; they are valid only until the returned promise settles (copy them to keep them). */
  write(bytes: Uint8Array): Promise<void> | void;
  /** Renames the piece into place as `file` (a piece file name) in the piece directory. */
  commit(file: string): Promise<void>;
  /** Removes the temporary. */
  discard(): Promise<void>;
}

/**
 * The piece and delta directories. Every method is called only while the `build` lock is held, so the store can
 * treat any temporary it finds as left behind by a crashed run.
 */
export interface PieceStore {
  /** The names of the files in the piece directory. */
  list(): Promise<readonly string[]>;
  /** Starts a piece under a temporary name in the piece directory. */
  create(): Promise<PieceWriter>;
  /** The bytes of a piece file (to tell a duplicate from a conflicting piece). */
  read(file: string): Promise<Uint8Array>;
  /** Removes a piece file. */
  remove(file: string): Promise<void>;
  /** Removes temporaries left in the piece and delta directories by runs that died. */
  removeTemporaries(): Promise<void>;
  /**
   * Concatenates the pieces, in order, into the delta `name` in the delta directory, atomically; each piece is a
   * file name in the piece directory or, for a piece still held in memory, its bytes.
   */
  build(name: string, pieces: readonly (string | Uint8Array)[]): Promise<void>;
  /**
   * The pieces the delta `name` was last rebuilt from (by any run, at any time): their digests, in order (so
   * their count is the piece count); `undefined` if it never was, `[]` if it was but the pieces are unknown.
   */
  rebuiltFrom(name: string): Promise<readonly string[] | undefined>;
  /** Records, atomically, that the delta `name` was rebuilt from the pieces with these digests. */
  markRebuilt(name: string, pieces: readonly string[]): Promise<void>;
  /**
   * Whether the piece file `file` is in the piece directory. Optional, with {@link takeClean} and
   * {@link markClean}: a store that has all three lets the intake look up only the pieces of the deltas it
   * receives, so that a run's cost does not grow with the number of deltas waiting for pieces; without them the
   * intake lists the piece directory at every run.
   */
  has?(file: string): Promise<boolean>;
  /**
   * Removes the mark {@link markClean} leaves; true if it was there. Without it (a run died, or an older version
   * wrote the directory) the intake lists the whole piece directory and finishes what was left.
   */
  takeClean?(): Promise<boolean>;
  /**
   * Leaves the mark that says nothing is left to finish: no temporaries, every complete set of pieces built, no
   * duplicate of a rebuilt delta's pieces.
   */
  markClean?(): Promise<void>;
}

/** Decodes a MIME message to the texts that may hold pieces (its text parts). */
export type MimeDecoder = (message: Uint8Array) => Promise<readonly Uint8Array[]>;
