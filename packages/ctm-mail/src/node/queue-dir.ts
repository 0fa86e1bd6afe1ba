import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { type PieceId, parsePieceFileName, pieceFileName } from '../piece-name.js';
import { type DeltaSource, noticeMessage, type SplitOptions, splitDelta } from '../splitter.js';
import { isProcessAlive, processToken } from './process-token.js';
import { strerror } from './strerror.js';

/** A queue entry taken by one ctm_dequeue: no other can see it until it is sent or put back. */
export interface ClaimedEntry {
  /** The entry's name in the queue (`NAME+PPP-NNN`). */
  readonly name: string;
  /** The piece it holds, read from its name. */
  readonly piece: PieceId | undefined;
  /** Where the claimed file is now. */
  readonly path: string;
  /** Sent: removes it. */
  done(): void;
  /** Not sent: puts it back under its name. */
  putBack(): void;
}

const CLAIM = '.claim.';
const CLAIM_RE = /^\.claim\.(\d+(?:-\d+)?)\.(.+)$/s;
const TEMP_RE = /^\.(\d{8,})\.(\d{3,}|notice)$/;
const COMMIT_RE = /^\.(\d{8,})\.commit$/;

/**
 * Options of {@link QueueDir}.
 * @example
 * new QueueDir('/ctm/queue', { owner: processToken() });
 */
export interface QueueDirOptions {
  /** The token naming this process in its claims (see {@link processToken}). @default processToken() */
  readonly owner?: string;
}

/**
 * ctm_smail's and ctm_dequeue's queue directory. Writers write every piece to a dot-file first; once all are
 * written, a commit marker `.PID.commit` (naming the writer, the delta and its piece count) is written, the pieces
 * are renamed into place, and the marker removed. Readers leave alone a delta whose marker is there, and a writer
 * killed during its renames is finished by the next {@link recover}: a delta's pieces enter the queue all at once
 * or not at all, even across kill -9. Readers claim an entry by renaming it to `.claim.TOKEN.NAME`, the token
 * naming the process and its start time, so two ctm_dequeue never send the same piece and a claim of a dead one
 * is put back even when its pid now belongs to another process.
 * @example
 * const queue = new QueueDir('/ctm/queue');
 * await queue.queueDelta(source, { name, size, alias }, (piece) => log(`${piece.name} ... queued`));
 */
export class QueueDir {
  readonly dir: string;
  readonly #owner: string | undefined;
  #token: string | undefined;

  constructor(dir: string, options: QueueDirOptions = {}) {
    this.dir = dir;
    this.#owner = options.owner;
  }

  /** This process's token: computed once, when first needed. */
  get #me(): string {
    this.#token ??= this.#owner ?? processToken();
    return this.#token;
  }

  /**
   * Splits the delta into the queue; `onQueued` is told of each piece as it is written. On any failure the
   * temporaries are removed and nothing is queued.
   */
  async queueDelta(
    source: DeltaSource,
    options: SplitOptions,
    onQueued: (piece: PieceId) => void,
  ): Promise<void> {
    const temps: { temp: string; piece: PieceId }[] = [];
    // File writes run in the background while the next pieces are encoded (as `base64 | split` overlap);
    // a few at most, and reported in order.
    const inFlight: { piece: PieceId; done: Promise<void> }[] = [];
    let failure: unknown;
    const settleOldest = async () => {
      const oldest = inFlight.shift()!;
      try {
        await oldest.done;
        onQueued(oldest.piece);
      } catch (error) {
        failure ??= error;
      }
    };
    try {
      await splitDelta(source, options, (piece) => {
        const temp = join(
          this.dir,
          `.${String(process.pid).padStart(8, '0')}.${String(piece.number).padStart(3, '0')}`,
        );
        temps.push({ temp, piece });
        const parts: Uint8Array[] = [];
        return {
          write: (bytes) => {
            parts.push(bytes);
          },
          close: async () => {
            const done = writeFileOf(temp, parts);
            // Handled here at once: a write may fail while an earlier one is awaited, and an unhandled
            // rejection would end the process. Its error is still reported, in order, by settleOldest.
            done.catch(() => {});
            inFlight.push({ piece, done });
            if (inFlight.length >= MAX_IN_FLIGHT) await settleOldest();
            if (failure) throw failure;
          },
        };
      });
      while (inFlight.length > 0) await settleOldest();
      if (failure) throw failure;
    } catch (error) {
      await Promise.allSettled(inFlight.map((f) => f.done));
      for (const { temp } of temps) removeQuietly(temp);
      throw error;
    }
    // The commit point: from here the delta is queued whole, by us or, if we die, by the next recover().
    const marker = join(this.dir, `.${String(process.pid).padStart(8, '0')}.commit`);
    try {
      writeFileSync(marker, `${this.#me} ${options.name} ${temps.length}\n`, { mode: 0o644 });
    } catch (error) {
      removeQuietly(marker);
      for (const { temp } of temps) removeQuietly(temp);
      throw new Error(`cannot open '${marker}' for writing: ${strerror(error)}`);
    }
    const renamed: string[] = [];
    for (const { temp, piece } of temps) {
      const target = join(this.dir, pieceFileName(piece));
      try {
        renameSync(temp, target);
        renamed.push(target);
      } catch (error) {
        // All or nothing: take back what was already queued.
        for (const path of renamed) removeQuietly(path);
        for (const { temp: t } of temps) removeQuietly(t);
        removeQuietly(marker);
        throw new Error(`rename: '${temp}' to '${target}': ${strerror(error)}`);
      }
    }
    removeQuietly(marker);
  }

  /** Queues the -c notice as `NAME+001-001`. */
  queueNotice(options: { name: string; size: number; maxDeltaSize: number; alias: string }): void {
    const temp = join(this.dir, `.${String(process.pid).padStart(8, '0')}.notice`);
    const target = join(this.dir, pieceFileName({ name: options.name, number: 1, count: 1 }));
    const fd = openFor(temp);
    try {
      writeAll(fd, noticeMessage(options), temp);
      closeSync(fd);
      renameSync(temp, target);
    } catch (error) {
      removeQuietly(temp);
      throw error;
    }
  }

  /**
   * Entries waiting, in serving (name) order: regular files whose names do not start with `.`, except the pieces
   * of a delta still being renamed into place (its commit marker is there).
   */
  entries(): string[] {
    const names = readdirSync(this.dir);
    const committing = new Set<string>();
    for (const name of names) {
      if (COMMIT_RE.test(name)) {
        const commit = this.#readCommit(name);
        if (commit) committing.add(commit.name);
      }
    }
    return names
      .filter((name) => !name.startsWith('.') && isFile(join(this.dir, name)))
      .filter((name) => committing.size === 0 || !committing.has(parsePieceFileName(name)?.name ?? ''))
      .sort(byteOrder);
  }

  /** Takes the entry `name` for this process, or `undefined` when another process took it first. */
  claim(name: string): ClaimedEntry | undefined {
    const from = join(this.dir, name);
    const path = join(this.dir, `${CLAIM}${this.#me}.${name}`);
    try {
      renameSync(from, path);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return undefined;
      throw error;
    }
    return {
      name,
      piece: parsePieceFileName(name),
      path,
      done: () => unlinkSync(path),
      putBack: () => renameSync(path, from),
    };
  }

  /**
   * Finishes the queueing of writers that died after their commit point, puts back entries claimed by readers
   * that died, and removes dead writers' temporaries. `isAlive` is asked about a {@link processToken} (or a bare
   * pid, as older versions wrote them). @default isProcessAlive
   */
  recover(isAlive: (owner: string) => boolean = isProcessAlive): void {
    const committing = new Set<string>();
    for (const name of readdirSync(this.dir)) {
      if (!COMMIT_RE.test(name)) continue;
      const pid = name.slice(1, name.indexOf('.', 1));
      const commit = this.#readCommit(name);
      // A marker half written is its writer's, alive, or was never a commit point (a writer killed writing it).
      if (isAlive(commit?.owner ?? String(Number(pid)))) {
        committing.add(pid);
        continue;
      }
      if (commit) {
        for (let number = 1; number <= commit.count; number++) {
          const temp = join(this.dir, `.${pid}.${String(number).padStart(3, '0')}`);
          const target = join(this.dir, pieceFileName({ name: commit.name, number, count: commit.count }));
          try {
            renameSync(temp, target);
          } catch {
            // renamed before the writer died, or by another recover()
          }
        }
      }
      removeQuietly(join(this.dir, name));
    }
    for (const name of readdirSync(this.dir)) {
      const claim = CLAIM_RE.exec(name);
      if (claim) {
        if (!isAlive(claim[1]!)) {
          try {
            renameSync(join(this.dir, name), join(this.dir, claim[2]!));
          } catch {
            // another ctm_dequeue put it back first
          }
        }
        continue;
      }
      const temp = TEMP_RE.exec(name);
      if (temp && !committing.has(temp[1]!) && !isAlive(String(Number(temp[1])))) {
        removeQuietly(join(this.dir, name));
      }
    }
  }

  /** A commit marker's writer, delta and piece count; undefined while it is half written (a writer killed then). */
  #readCommit(marker: string): { owner: string; name: string; count: number } | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.dir, marker), 'latin1');
    } catch {
      return undefined;
    }
    const m = /^(\d+(?:-\d+)?) (\S+) (\d+)\n$/.exec(text);
    return m ? { owner: m[1]!, name: m[2]!, count: Number(m[3]) } : undefined;
  }
}

const MAX_IN_FLIGHT = 4;

/** Writes a piece's parts to a new file and closes it (the parts are not touched after the caller's write). */
async function writeFileOf(path: string, parts: readonly Uint8Array[]): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'w', 0o644);
  } catch (error) {
    throw new Error(`cannot open '${path}' for writing: ${strerror(error)}`);
  }
  try {
    await handle.writev(parts as Uint8Array[]);
  } catch (error) {
    throw new Error(`error writing '${path}': ${strerror(error)}`);
  } finally {
    await handle.close();
  }
}

function openFor(path: string): number {
  try {
    return openSync(path, 'w', 0o644);
  } catch (error) {
    throw new Error(`cannot open '${path}' for writing: ${strerror(error)}`);
  }
}

function writeAll(fd: number, bytes: Uint8Array, path: string): void {
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
  } catch (error) {
    closeSync(fd);
    throw new Error(`error writing '${path}': ${strerror(error)}`);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
