import { concatBytes, copyBytes } from './_bytes.js';
import { type Md5, type Md5Factory, md5Hex, portableMd5 } from './delta/md5.js';
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
  /** The digest that tells pieces apart (a duplicate has the same one). @default portableMd5 */
  readonly md5?: Md5Factory;
}

/** The piece being received. */
interface Receiving {
  readonly piece: PieceId;
  parts: Uint8Array[];
  size: number;
  hash: Md5;
  /** Set once the piece outgrows memory: it streams to a temporary file instead. */
  writer: PieceWriter | undefined;
  failed: boolean;
}

/**
 * Stores the pieces a scanner finds and rebuilds each delta once all its pieces are there, as ctm_rmail does
 * (`NAME P/N stored`, `NAME complete`). Safe with any number of runs at once: every change happens under the
 * `build` lock, taken at the first piece and kept until {@link close}.
 *
 * A duplicate is only a piece identical to one already used (same name, count, number and content): it is dropped
 * with a message. Anything else is kept: a piece that does not match the pieces a delta was rebuilt from is stored
 * (`... does not match the rebuilt NAME: kept`), and when its set is complete the delta is rebuilt again, so the
 * delta completed last is the one in the delta directory, as the original's rename leaves it. A piece with the
 * number of a stored piece but other content is kept beside it as `NAME+PPP-NNN.conflict.DIGEST` and reported; the
 * first stays the one used. The first run to take the lock also finishes what a run that died left behind.
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
  readonly #md5: Md5Factory;
  #failures = 0;
  #lost = 0;
  #lock: HeldLock | undefined;
  /**
   * Pieces present (on disk or pending), by `count name`: their digests by number (`undefined`: not read yet).
   * After a listing of the piece directory ({@link #listed}) it holds every piece; else only those looked up.
   */
  #present = new Map<string, Map<number, string | undefined>>();
  /** Whether the piece directory was listed this run: a piece not in {@link #present} is then not there. */
  #listed = false;
  /** Without a listing: the numbers looked up and not there, and the first number not yet known there, by key. */
  #probed = new Map<string, { absent: Set<number>; low: number }>();
  /** Whether this run left something to finish (a delta not built, a temporary not removed). */
  #unfinished = false;
  /** Whether this run found the store's mark that the last run left nothing to finish (and took it). */
  #tookMark = false;
  /** What each delta was rebuilt from (see {@link PieceStore.rebuiltFrom}); `null`: never rebuilt. */
  #rebuilt = new Map<string, readonly string[] | null>();
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
    this.#md5 = options.md5 ?? portableMd5;
  }

  /** The number of pieces discarded as bad mail since the last call. */
  takeFailures(): number {
    const n = this.#failures;
    this.#failures = 0;
    return n;
  }

  /**
   * The number of good pieces that could not be stored (a full disk, an I/O error) or deltas that could not be
   * built, since the last call: local failures, worth a retry of the same mail.
   */
  takeLost(): number {
    const n = this.#lost;
    this.#lost = 0;
    return n;
  }

  /** Handles a scanner's events, in order. */
  async handle(events: readonly ScanEvent[]): Promise<void> {
    try {
      await this.#handle(events);
    } catch (error) {
      this.#unfinished = true; // a temporary or a complete set may be left: the next run lists the directory
      throw error;
    }
  }

  async #handle(events: readonly ScanEvent[]): Promise<void> {
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
    if (!this.#lock) {
      try {
        await this.#open();
      } catch (error) {
        this.#unfinished = true;
        throw error;
      }
    }
    try {
      await this.#flushPending();
      // Marked when pieces wait (or waited: the mark was taken); an empty piece directory is cheap to list.
      if (!this.#unfinished && this.#indexed() && (this.#tookMark || this.#present.size > 0)) {
        // Only a shortcut for the next run: if it cannot be left (a full disk), the next run lists the directory.
        await this.#store.markClean!().catch(() => {});
      }
    } finally {
      const lock = this.#lock!;
      this.#lock = undefined;
      await lock.release();
    }
  }

  /** Whether the store lets the intake look pieces up one delta at a time. */
  #indexed(): boolean {
    const store = this.#store;
    return store.has !== undefined && store.takeClean !== undefined && store.markClean !== undefined;
  }

  async #open(): Promise<void> {
    this.#lock = await this.#locks.acquire('build');
    // The last run ended with nothing left to finish: look up only the deltas this run receives pieces of.
    if (this.#indexed() && (await this.#store.takeClean!())) {
      this.#tookMark = true;
      return;
    }
    this.#listed = true;
    await this.#store.removeTemporaries();
    for (const file of await this.#store.list()) {
      const piece = parsePieceFileName(file);
      if (piece) {
        this.#note(piece, undefined);
        this.#onDisk.add(file);
      }
    }
    // Finish whatever a run that died left behind.
    for (const key of [...this.#present.keys()]) {
      const [name, count] = splitKey(key);
      const used = await this.#rebuiltFrom(name);
      if (used) await this.#dropDuplicates(name, count, used);
      if (this.#present.get(key)?.size === count) await this.#build(name, count);
    }
  }

  async #begin(piece: PieceId): Promise<void> {
    await this.#dropReceiving();
    if (!this.#lock) await this.#open();
    this.#receiving = { piece, parts: [], size: 0, hash: this.#md5(), writer: undefined, failed: false };
  }

  async #data(bytes: Uint8Array): Promise<void> {
    const r = this.#receiving;
    if (!r || r.failed) return;
    r.hash.update(bytes);
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
      this.#lost++;
      return;
    }
    const digest = r.hash.hex();
    const used = await this.#rebuiltFrom(name);
    if (used && used.length === count && used[number - 1] === digest) {
      await r.writer?.discard();
      this.#log(`${label} dropped: a duplicate, ${name} was already rebuilt`);
      return;
    }
    if (used) this.#log(`${label} does not match the pieces ${name} was rebuilt from: kept`);
    const file = pieceFileName(piece);
    if (await this.#isPresent(piece)) {
      const stored = this.#present.get(`${count} ${name}`)!;
      const mine = await this.#digestOf(piece, stored);
      if (mine !== digest) {
        // Two different pieces under one number: keep both, use the first, and say so.
        const aside = `${file}.conflict.${digest.slice(0, 12)}`;
        if (await this.#save(r, aside, label)) {
          this.#log(`${label} differs from the stored piece: kept as ${aside}`);
        }
        return;
      }
    }
    if (r.writer) {
      if (!(await this.#save(r, file, label))) return;
      this.#onDisk.add(file);
    } else {
      const bytes = r.parts.length === 1 ? r.parts[0]! : concatBytes(r.parts, r.size);
      this.#pendingSize += bytes.length - (this.#pending.get(file)?.length ?? 0);
      this.#pending.set(file, bytes);
    }
    this.#log(`${label} stored`);
    this.#note(piece, digest);
    if (await this.#complete(name, count)) await this.#build(name, count);
    if (this.#pendingSize > this.#memory) await this.#flushPending();
  }

  /** Writes the received piece to `file` in the piece directory; false (and logged as lost) if it cannot. */
  async #save(r: Receiving, file: string, label: string): Promise<boolean> {
    let writer = r.writer;
    try {
      if (!writer) {
        writer = await this.#store.create();
        for (const part of r.parts) await writer.write(part);
      }
      await writer.commit(file);
      return true;
    } catch (error) {
      this.#log(messageOf(error));
      this.#log(`${label} lost!`);
      await writer?.discard().catch(() => {
        this.#unfinished = true;
      });
      this.#lost++;
      return false;
    }
  }

  async #build(name: string, count: number): Promise<void> {
    const parts: (string | Uint8Array)[] = [];
    const digests: string[] = [];
    const have = this.#present.get(`${count} ${name}`)!;
    try {
      for (let i = 1; i <= count; i++) {
        const file = pieceFileName({ name, number: i, count });
        parts.push(this.#pending.get(file) ?? file);
        digests.push(await this.#digestOf({ name, number: i, count }, have));
      }
      await this.#store.build(name, parts);
      await this.#store.markRebuilt(name, digests);
    } catch (error) {
      // The pieces stay: the next run (a retried delivery) builds the delta.
      this.#log(messageOf(error));
      this.#lost++;
      this.#unfinished = true;
      return;
    }
    this.#rebuilt.set(name, digests);
    await this.#removePieces(name, count);
    this.#log(`${name} complete`);
  }

  /** Removes the pieces the delta `name` was just built from (other counts' pieces are other deltas: kept). */
  async #removePieces(name: string, count: number): Promise<void> {
    const key = `${count} ${name}`;
    for (const number of this.#present.get(key)?.keys() ?? []) {
      await this.#forget(pieceFileName({ name, number, count }));
    }
    this.#present.delete(key);
    this.#probed.delete(key);
  }

  /** Drops, with a message, the pieces of `name`/`count` identical to those the delta was rebuilt from. */
  async #dropDuplicates(name: string, count: number, used: readonly string[]): Promise<void> {
    const key = `${count} ${name}`;
    const have = this.#present.get(key)!;
    for (const number of [...have.keys()]) {
      const digest = await this.#digestOf({ name, number, count }, have);
      if (used.length !== count || used[number - 1] !== digest) continue;
      await this.#forget(pieceFileName({ name, number, count }));
      have.delete(number);
      this.#log(`${name} ${number}/${count} dropped: a duplicate, ${name} was already rebuilt`);
    }
    if (have.size === 0) this.#present.delete(key);
    this.#probed.delete(key);
  }

  async #forget(file: string): Promise<void> {
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
        this.#unfinished = true; // a used piece left behind: the next run lists the directory and drops it
      }
    }
  }

  /** The digest of a present piece, read from the piece directory if this run did not receive it. */
  async #digestOf(piece: PieceId, have: Map<number, string | undefined>): Promise<string> {
    let digest = have.get(piece.number);
    if (digest === undefined) {
      const file = pieceFileName(piece);
      digest = md5Hex(this.#pending.get(file) ?? (await this.#store.read(file)), this.#md5);
      have.set(piece.number, digest);
    }
    return digest;
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
        if (piece) {
          this.#present.get(`${piece.count} ${piece.name}`)?.delete(piece.number);
          this.#probed.delete(`${piece.count} ${piece.name}`);
        }
        this.#lost++;
      }
    }
  }

  /** Whether `piece` is present: known, or (without a listing) looked up in the store once. */
  async #isPresent(piece: PieceId): Promise<boolean> {
    const key = `${piece.count} ${piece.name}`;
    if (this.#present.get(key)?.has(piece.number)) return true;
    if (this.#listed) return false;
    let probe = this.#probed.get(key);
    if (!probe) {
      probe = { absent: new Set(), low: 1 };
      this.#probed.set(key, probe);
    }
    if (probe.absent.has(piece.number)) return false;
    const file = pieceFileName(piece);
    if (!this.#pending.has(file) && (await this.#store.has!(file))) {
      this.#onDisk.add(file);
      this.#note(piece, undefined);
      return true;
    }
    probe.absent.add(piece.number);
    return false;
  }

  /**
   * Whether every piece of `name`/`count` is present. Without a listing, it looks pieces up until the first one
   * missing, the last number first and then upwards from the lowest not yet seen: pieces arriving in order cost one
   * look-up each, and no piece is looked up twice in a run.
   */
  async #complete(name: string, count: number): Promise<boolean> {
    const key = `${count} ${name}`;
    const have = this.#present.get(key);
    if (have?.size === count) return true;
    if (this.#listed) return false;
    // A number looked up and missing is still missing unless it arrived since (then it left `absent`).
    if ((this.#probed.get(key)?.absent.size ?? 0) > 0) return false;
    if (!(await this.#isPresent({ name, number: count, count }))) return false;
    const state = this.#probed.get(key) ?? { absent: new Set<number>(), low: 1 };
    this.#probed.set(key, state);
    for (; state.low < count; state.low++) {
      if (!(await this.#isPresent({ name, number: state.low, count }))) return false;
    }
    return true;
  }

  #note(piece: PieceId, digest: string | undefined): Map<number, string | undefined> {
    const key = `${piece.count} ${piece.name}`;
    let have = this.#present.get(key);
    if (!have) {
      have = new Map();
      this.#present.set(key, have);
    }
    have.set(piece.number, digest);
    this.#probed.get(key)?.absent.delete(piece.number);
    return have;
  }

  async #rebuiltFrom(name: string): Promise<readonly string[] | null> {
    let known = this.#rebuilt.get(name);
    if (known === undefined) {
      known = (await this.#store.rebuiltFrom(name)) ?? null;
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
