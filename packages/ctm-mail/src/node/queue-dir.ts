import { closeSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { type PieceId, parsePieceFileName, pieceFileName } from '../piece-name.js';
import { type DeltaSource, noticeMessage, type SplitOptions, splitDelta } from '../splitter.js';
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

/**
 * ctm_smail's and ctm_dequeue's queue directory. Writers write every piece to a dot-file first and rename them all
 * into place only when all are written, so a reader never sees a partial piece or a partial delta; readers claim
 * an entry by renaming it to a dot-file of their own, so two ctm_dequeue never send the same piece.
 * @example
 * const queue = new QueueDir('/ctm/queue');
 * await queue.queueDelta(source, { name, size, alias }, (piece) => log(`${piece.name} ... queued`));
 */
export class QueueDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
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
        throw new Error(`rename: '${temp}' to '${target}': ${strerror(error)}`);
      }
    }
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

  /** Entries waiting, in serving (name) order: regular files whose names do not start with `.`. */
  entries(): string[] {
    return readdirSync(this.dir)
      .filter((name) => !name.startsWith('.') && isFile(join(this.dir, name)))
      .sort(byteOrder);
  }

  /** Takes the entry `name` for this process, or `undefined` when another process took it first. */
  claim(name: string): ClaimedEntry | undefined {
    const from = join(this.dir, name);
    const path = join(this.dir, `${CLAIM}${process.pid}.${name}`);
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

  /** Puts back entries claimed by processes that died (`isAlive(pid)` false), and removes dead writers' temporaries. */
  recover(isAlive: (pid: number) => boolean): void {
    for (const name of readdirSync(this.dir)) {
      const claim = /^\.claim\.(\d+)\.(.+)$/s.exec(name);
      if (claim) {
        if (!isAlive(Number(claim[1]))) {
          try {
            renameSync(join(this.dir, name), join(this.dir, claim[2]!));
          } catch {
            // another ctm_dequeue put it back first
          }
        }
        continue;
      }
      const temp = /^\.(\d{8,})\.(\d{3,}|notice)$/.exec(name);
      if (temp && !isAlive(Number(temp[1]))) removeQuietly(join(this.dir, name));
    }
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
