import { concatBytes, copyBytes } from './_bytes.js';
import { type PieceId, parsePieceFileName, pieceFileName } from './piece-name.js';
import type { HeldLock, LockPort, LogPort, PieceStore, PieceWriter } from './ports.js';
import type { ScanEvent } from './scanner.js';

/** What {@link PieceIntake} works with. */
export interface IntakeOptions {
  readonly store: PieceStore;
  readonly locks: LockPort;
  readonly log: LogPort;
  /**
   * Bytes of stored pieces kept in memory, not yet written to the piece directory: a delta whose pieces all
   * arrive in one run is built without its pieces ever touching the disk. Everything is written before the run
   * ends (and before the lock is released). @default 16 MiB
   */
  readonly memory?: number;
}

/** The piece being received. */
interface Receiving {
  readonly piece: PieceId;
  parts: Uint8Array[];
  size: number;
  /** Set once the piece outgrows memory: it streams to a temporary file instead. */
  writer: PieceWriter | undefined;
  failed: boolean;
}

/**
 * Stores the pieces a scanner finds and rebuilds each delta once all its pieces are there, as ctm_rmail does
 * (`NAME P/N stored`, `NAME complete`). Safe with any number of runs at once: every change happens under the
 * `build` lock, taken at the first piece and kept until {@link close}. A piece of a delta that was already
 * rebuilt (a duplicate delivery) is dropped with a message. The first run to take the lock also finishes what a
 * run that died left behind: temporaries removed, complete deltas rebuilt, duplicates dropped.
 * @example
 * const intake = new PieceIntake({ store, locks, log });
 * await intake.handle(scanner.feed(bytes));
 * await intake.handle(scanner.end());
 * await intake.close();
 */
export class PieceIntake {
  readonly #store: PieceStore;
  readonly #locks: LockPort;
  readonly #log: LogPort;
  readonly #memory: number;
  #failures = 0;
  #lock: HeldLock | undefined;
  /** Pieces present (on disk or pending), by `count name`: their numbers. */
  #present = new Map<string, Set<number>>();
  #rebuilt = new Map<string, boolean>();
  /** Piece files in the piece directory (the others present are pending). */
  #onDisk = new Set<string>();
  /** Stored pieces not yet written, by file name. */
  #pending = new Map<string, Uint8Array>();
  #pendingSize = 0;
  #receiving: Receiving | undefined;

  constructor(options: IntakeOptions) {
    this.#store = options.store;
    this.#locks = options.locks;
    this.#log = options.log;
    this.#memory = options.memory ?? 16 * 1024 * 1024;
  }

  /** The number of pieces discarded or lost since the last call. */
  takeFailures(): number {
    const n = this.#failures;
    this.#failures = 0;
    return n;
  }

  /** Handles a scanner's events, in order. */
  async handle(events: readonly ScanEvent[]): Promise<void> {
    for (const event of events) {
      switch (event.type) {
        case 'begin':
          await this.#begin(event.piece);
          break;
        case 'data':
          await this.#data(event.bytes);
          break;
        case 'end':
          await this.#end(event.piece);
          break;
        case 'discard':
          for (const line of event.messages) this.#log(line);
          this.#failures++;
          if (event.opened) await this.#dropReceiving();
          break;
      }
    }
  }

  /**
   * Finishes: writes the pieces still in memory, takes the lock if no piece did (to finish a dead run's work),
   * then releases it.
   */
  async close(): Promise<void> {
    await this.#dropReceiving();
    if (!this.#lock) await this.#open();
    try {
      await this.#flushPending();
    } finally {
      const lock = this.#lock!;
      this.#lock = undefined;
      await lock.release();
    }
  }

  async #open(): Promise<void> {
    this.#lock = await this.#locks.acquire('build');
    await this.#store.removeTemporaries();
    for (const file of await this.#store.list()) {
      const piece = parsePieceFileName(file);
      if (piece) {
        this.#note(piece);
        this.#onDisk.add(file);
      }
    }
    // Finish whatever a run that died left behind.
    for (const key of [...this.#present.keys()]) {
      const [name, count] = splitKey(key);
      if (await this.#isRebuilt(name)) await this.#removePieces(name, count, false);
      else if (this.#present.get(key)?.size === count) await this.#build(name, count);
    }
  }

  async #begin(piece: PieceId): Promise<void> {
    await this.#dropReceiving();
    if (!this.#lock) await this.#open();
    this.#receiving = { piece, parts: [], size: 0, writer: undefined, failed: false };
  }

  async #data(bytes: Uint8Array): Promise<void> {
    const r = this.#receiving;
    if (!r || r.failed) return;
    try {
      if (r.writer) {
        await r.writer.write(bytes);
        return;
      }
      r.parts.push(copyBytes(bytes));
      r.size += bytes.length;
      if (r.size > this.#memory) {
        // Too big for memory: stream it to a temporary file from here on.
        r.writer = await this.#store.create();
        for (const part of r.parts) await r.writer.write(part);
        r.parts = [];
      }
    } catch (error) {
      r.failed = true;
      this.#log(messageOf(error));
    }
  }

  async #end(piece: PieceId): Promise<void> {
    const { name, number, count } = piece;
    const label = `${name} ${number}/${count}`;
    const r = this.#receiving;
    this.#receiving = undefined;
    if (!r || r.failed) {
      await r?.writer?.discard().catch(() => {});
      this.#log(`${label} lost!`);
      this.#failures++;
      return;
    }
    if (await this.#isRebuilt(name)) {
      await r.writer?.discard();
      this.#log(`${label} dropped: a duplicate, ${name} was already rebuilt`);
      return;
    }
    const file = pieceFileName(piece);
    if (r.writer) {
      try {
        await r.writer.commit(file);
        this.#onDisk.add(file);
      } catch (error) {
        this.#log(messageOf(error));
        this.#log(`${label} lost!`);
        await r.writer.discard().catch(() => {});
        this.#failures++;
        return;
      }
    } else {
      const bytes = r.parts.length === 1 ? r.parts[0]! : concatBytes(r.parts, r.size);
      this.#pendingSize += bytes.length - (this.#pending.get(file)?.length ?? 0);
      this.#pending.set(file, bytes);
    }
    this.#log(`${label} stored`);
    const have = this.#note(piece);
    if (have.size === count) await this.#build(name, count);
    if (this.#pendingSize > this.#memory) await this.#flushPending();
  }

  async #build(name: string, count: number): Promise<void> {
    const parts: (string | Uint8Array)[] = [];
    for (let i = 1; i <= count; i++) {
      const file = pieceFileName({ name, number: i, count });
      parts.push(this.#pending.get(file) ?? file);
    }
    try {
      await this.#store.build(name, parts);
      await this.#store.markRebuilt(name);
    } catch (error) {
      this.#log(messageOf(error));
      this.#failures++;
      return;
    }
    this.#rebuilt.set(name, true);
    await this.#removePieces(name, count, true);
    this.#log(`${name} complete`);
  }

  /** Removes every piece of `name` (all counts: once rebuilt, any other piece of it is a duplicate). */
  async #removePieces(name: string, count: number, quiet: boolean): Promise<void> {
    for (const [key, numbers] of [...this.#present]) {
      const [n, c] = splitKey(key);
      if (n !== name) continue;
      for (const number of numbers) {
        const file = pieceFileName({ name, number, count: c });
        const pending = this.#pending.get(file);
        if (pending) {
          this.#pending.delete(file);
          this.#pendingSize -= pending.length;
        }
        if (this.#onDisk.delete(file)) {
          try {
            await this.#store.remove(file);
          } catch (error) {
            this.#log(messageOf(error));
          }
        }
        if (!quiet || c !== count) {
          this.#log(`${name} ${number}/${c} dropped: a duplicate, ${name} was already rebuilt`);
        }
      }
      this.#present.delete(key);
    }
  }

  /** Writes the pieces held in memory to the piece directory. */
  async #flushPending(): Promise<void> {
    for (const [file, bytes] of [...this.#pending]) {
      this.#pending.delete(file);
      this.#pendingSize -= bytes.length;
      let writer: PieceWriter | undefined;
      try {
        writer = await this.#store.create();
        await writer.write(bytes);
        await writer.commit(file);
        this.#onDisk.add(file);
      } catch (error) {
        await writer?.discard().catch(() => {});
        const piece = parsePieceFileName(file);
        this.#log(messageOf(error));
        this.#log(`${piece ? `${piece.name} ${piece.number}/${piece.count}` : file} lost!`);
        if (piece) this.#present.get(`${piece.count} ${piece.name}`)?.delete(piece.number);
        this.#failures++;
      }
    }
  }

  #note(piece: PieceId): Set<number> {
    const key = `${piece.count} ${piece.name}`;
    let set = this.#present.get(key);
    if (!set) {
      set = new Set();
      this.#present.set(key, set);
    }
    set.add(piece.number);
    return set;
  }

  async #isRebuilt(name: string): Promise<boolean> {
    let known = this.#rebuilt.get(name);
    if (known === undefined) {
      known = await this.#store.isRebuilt(name);
      this.#rebuilt.set(name, known);
    }
    return known;
  }

  async #dropReceiving(): Promise<void> {
    const r = this.#receiving;
    this.#receiving = undefined;
    if (r?.writer) await r.writer.discard().catch(() => {});
  }
}

function splitKey(key: string): [string, number] {
  const space = key.indexOf(' ');
  return [key.slice(space + 1), Number(key.slice(0, space))];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
