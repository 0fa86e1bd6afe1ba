import { type PieceId, parsePieceFileName, pieceFileName } from './piece-name.js';
import type { HeldLock, LockPort, LogPort, PieceStore, PieceWriter } from './ports.js';
import type { ScanEvent } from './scanner.js';

/** What {@link PieceIntake} works with. */
export interface IntakeOptions {
  readonly store: PieceStore;
  readonly locks: LockPort;
  readonly log: LogPort;
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
  /** Pieces discarded or lost since the last {@link takeFailures}. */
  #failures = 0;
  readonly #store: PieceStore;
  readonly #locks: LockPort;
  readonly #log: LogPort;
  #lock: HeldLock | undefined;
  /** Pieces present, by `name count`: their numbers. */
  #present = new Map<string, Set<number>>();
  #rebuilt = new Map<string, boolean>();
  #writer: PieceWriter | undefined;
  #writerFailed = false;
  #piece: PieceId | undefined;

  constructor(options: IntakeOptions) {
    this.#store = options.store;
    this.#locks = options.locks;
    this.#log = options.log;
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
          if (this.#writer && !this.#writerFailed) {
            try {
              await this.#writer.write(event.bytes);
            } catch (error) {
              this.#writerFailed = true;
              this.#log(messageOf(error));
            }
          }
          break;
        case 'end':
          await this.#end(event.piece);
          break;
        case 'discard':
          for (const line of event.messages) this.#log(line);
          this.#failures++;
          if (event.opened) await this.#dropWriter();
          break;
      }
    }
  }

  /** Finishes: takes the lock if no piece did (to finish a dead run's work), then releases it. */
  async close(): Promise<void> {
    await this.#dropWriter();
    if (!this.#lock) await this.#open();
    const lock = this.#lock!;
    this.#lock = undefined;
    await lock.release();
  }

  async #open(): Promise<void> {
    this.#lock = await this.#locks.acquire('build');
    await this.#store.removeTemporaries();
    for (const file of await this.#store.list()) {
      const piece = parsePieceFileName(file);
      if (piece) this.#note(piece);
    }
    // Finish whatever a run that died left behind.
    for (const key of [...this.#present.keys()]) {
      const [name, count] = splitKey(key);
      if (await this.#isRebuilt(name)) await this.#removePieces(name, count, false);
      else if (this.#present.get(key)!.size === count) await this.#build(name, count);
    }
  }

  async #begin(piece: PieceId): Promise<void> {
    await this.#dropWriter();
    if (!this.#lock) await this.#open();
    this.#piece = piece;
    this.#writerFailed = false;
    try {
      this.#writer = await this.#store.create();
    } catch (error) {
      this.#writerFailed = true;
      this.#log(messageOf(error));
    }
  }

  async #end(piece: PieceId): Promise<void> {
    const { name, number, count } = piece;
    const label = `${name} ${number}/${count}`;
    const writer = this.#writer;
    this.#writer = undefined;
    if (!writer || this.#writerFailed) {
      await writer?.discard().catch(() => {});
      this.#log(`${label} lost!`);
      this.#failures++;
      return;
    }
    if (await this.#isRebuilt(name)) {
      await writer.discard();
      this.#log(`${label} dropped: a duplicate, ${name} was already rebuilt`);
      return;
    }
    try {
      await writer.commit(pieceFileName(piece));
    } catch (error) {
      this.#log(messageOf(error));
      this.#log(`${label} lost!`);
      await writer.discard().catch(() => {});
      this.#failures++;
      return;
    }
    this.#log(`${label} stored`);
    const have = this.#note(piece);
    if (have.size === count) await this.#build(name, count);
  }

  async #build(name: string, count: number): Promise<void> {
    const files: string[] = [];
    for (let i = 1; i <= count; i++) files.push(pieceFileName({ name, number: i, count }));
    try {
      await this.#store.build(name, files);
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
        try {
          await this.#store.remove(file);
        } catch (error) {
          this.#log(messageOf(error));
        }
        if (!quiet || c !== count)
          this.#log(`${name} ${number}/${c} dropped: a duplicate, ${name} was already rebuilt`);
      }
      this.#present.delete(key);
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

  async #dropWriter(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    this.#piece = undefined;
    if (writer) await writer.discard().catch(() => {});
  }
}

function splitKey(key: string): [string, number] {
  const space = key.indexOf(' ');
  return [key.slice(space + 1), Number(key.slice(0, space))];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
