import { BYTE_TO_HEX as H } from './_hex.js';
import { pool, randomFill } from './_random.js';

/** What a time-UUID generator persists so that a restarted process never repeats a (timestamp, clockseq) pair. */
export interface ClockSequenceState {
  /** The 14-bit clock sequence. */
  clockSeq: number;
  /** The last (or leased-ahead) 60-bit timestamp: 100-ns ticks since 1582-10-15. */
  ticks: bigint;
  /** The 6-byte node, if the generator should keep it across restarts. */
  node?: Uint8Array;
}

/**
 * Where a `TimeUuidGenerator` keeps its state (synchronous). `@suite/uuid/node` has `fileClockStore(path)`.
 * @example
 * import { type ClockSequenceStore, TimeUuidGenerator } from '@suite/uuid';
 * let saved: ClockSequenceState | undefined;
 * const store: ClockSequenceStore = { load: () => saved, save: (s) => { saved = s; } };
 * new TimeUuidGenerator({ store }).next();
 */
export interface ClockSequenceStore {
  /** The saved state, or undefined if there is none. */
  load(): ClockSequenceState | undefined;
  /** Saves the state (a store should replace it atomically). */
  save(state: ClockSequenceState): void;
}

/** Options of `TimeUuidGenerator`. */
export interface TimeUuidGeneratorOptions {
  /** Milliseconds since the Unix epoch. @default Date.now */
  readonly clock?: () => number;
  /** Fills bytes with random values (clock sequence, node). @default crypto.getRandomValues */
  readonly random?: (bytes: Uint8Array) => void;
  /** Persists the state; without one, the state lives only in this object. */
  readonly store?: ClockSequenceStore;
  /** 6 bytes. @default the stored node, else random with the multicast bit set */
  readonly node?: Uint8Array;
  /**
   * uuidd's continuous clock (`-C`): clock sequence 0, the timestamp advances only by the UUIDs handed out, but
   * never falls more than `maxLagMs` behind the clock.
   */
  readonly continuous?: { readonly maxLagMs: number };
  /** How far ahead (ms) of the last handed-out timestamp the saved state reaches. @default 10000 */
  readonly leaseMs?: number;
}

/** Milliseconds from 1582-10-15 (the Gregorian reform) to the Unix epoch. */
export const GREGORIAN_OFFSET_MS = 12_219_292_800_000;
const TICKS_PER_MS = 10_000;

/** 100-ns ticks since 1582-10-15 as a bigint, from ms since the Unix epoch and extra ticks. */
function toTicks(ms: number, sub: number): bigint {
  return BigInt(ms + GREGORIAN_OFFSET_MS) * 10_000n + BigInt(sub);
}

/**
 * libuuid's time-UUID (v1) generator: a random 14-bit clock sequence, +1 whenever the clock goes back; up to
 * 10 000 UUIDs per millisecond from the 100-ns ticks, and beyond that it borrows ticks from the next
 * milliseconds rather than repeat one; a random node with the multicast bit unless one is given. With a store,
 * the state is saved ahead (a lease of `leaseMs`), and a process that starts inside a lease bumps the clock
 * sequence, so a restart never repeats a (timestamp, clock sequence) pair.
 * @example
 * import { TimeUuidGenerator, stringify } from '@suite/uuid';
 * const gen = new TimeUuidGenerator();
 * stringify(gen.next()); // '5c1a5d30-a797-11f1-b7e2-1b4c0f1e8a2d'
 * const first = gen.reserve(100); // this UUID and the next 99 ticks are all ours
 */
export class TimeUuidGenerator {
  readonly #clock: () => number;
  readonly #random: (bytes: Uint8Array) => void;
  readonly #store: ClockSequenceStore | undefined;
  readonly #maxLagMs: number | undefined;
  readonly #leaseMs: number;
  #node: Uint8Array | undefined;
  #clockSeq = -1;
  /** The last handed-out timestamp: `#ms` (Unix ms) plus `#sub` ticks (0-9999); `#sub` -1 before the first. */
  #ms = Number.NEGATIVE_INFINITY;
  #sub = 0;
  #lastClock = Number.NEGATIVE_INFINITY;
  /** The saved state covers timestamps up to here (Unix ms). */
  #leasedTo = Number.NEGATIVE_INFINITY;
  #started = false;
  /** `-clockseq-node` of the string form, rebuilt when the clock sequence changes. */
  #suffix = '';
  /** Where the last `#advance` put the first timestamp: ms and ticks. */
  #firstMs = 0;
  #firstSub = 0;

  constructor(options: TimeUuidGeneratorOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? randomFill;
    this.#store = options.store;
    this.#maxLagMs = options.continuous?.maxLagMs;
    this.#leaseMs = options.leaseMs ?? 10_000;
    if (options.node !== undefined) {
      if (options.node.length !== 6) throw new RangeError('node must be 6 bytes');
      this.#node = Uint8Array.from(options.node);
    }
  }

  /** The current clock sequence (0 in continuous mode). */
  get clockSeq(): number {
    this.#start();
    return this.#clockSeq;
  }

  /** The node (6 bytes) written into every UUID. */
  get node(): Uint8Array {
    this.#start();
    return Uint8Array.from(this.#node as Uint8Array);
  }

  /** One v1 UUID as 16 bytes, written into `buf` at `offset` when given. */
  next(buf?: Uint8Array, offset = 0): Uint8Array {
    this.#advance(1);
    return this.#write(buf ?? new Uint8Array(16), buf ? offset : 0, 1);
  }

  /** One v6 UUID (the same timestamp and clock sequence, reordered so it sorts by time) as 16 bytes. */
  nextV6(buf?: Uint8Array, offset = 0): Uint8Array {
    this.#advance(1);
    return this.#write(buf ?? new Uint8Array(16), buf ? offset : 0, 6);
  }

  /** One v1 UUID as a string (faster than formatting `next()`). */
  nextString(): string {
    this.#advance(1);
    const { lo, hi } = this.#fields();
    return (H[lo >>> 24]! +
      H[(lo >>> 16) & 0xff] +
      H[(lo >>> 8) & 0xff] +
      H[lo & 0xff] +
      '-' +
      H[(hi >>> 8) & 0xff] +
      H[hi & 0xff] +
      '-' +
      H[0x10 | ((hi >>> 24) & 0x0f)] +
      H[(hi >>> 16) & 0xff] +
      this.#suffix) as string;
  }

  /** One v6 UUID as a string. */
  nextV6String(): string {
    this.#advance(1);
    const { lo, hi } = this.#fields();
    const top = ((hi << 4) | (lo >>> 28)) >>> 0;
    return (H[top >>> 24]! +
      H[(top >>> 16) & 0xff] +
      H[(top >>> 8) & 0xff] +
      H[top & 0xff] +
      '-' +
      H[(lo >>> 20) & 0xff] +
      H[(lo >>> 12) & 0xff] +
      '-' +
      H[0x60 | ((lo >>> 8) & 0x0f)] +
      H[lo & 0xff] +
      this.#suffix) as string;
  }

  /**
   * The first v1 UUID of `count` consecutive 100-ns ticks, all reserved: no later `next()` or `reserve()` hands
   * out any of them (count <= 0 reserves one).
   */
  reserve(count: number): Uint8Array {
    this.#advance(Math.max(1, Math.floor(count)));
    return this.#write(new Uint8Array(16), 0, 1);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const state = this.#store?.load();
    if (state?.node !== undefined && state.node.length === 6 && this.#node === undefined) {
      this.#node = Uint8Array.from(state.node);
    }
    if (this.#node === undefined) {
      const node = new Uint8Array(6);
      this.#random(node);
      node[0] = (node[0] as number) | 0x01; // multicast bit: cannot clash with a real MAC
      this.#node = node;
    }
    const now = Math.floor(this.#clock());
    if (this.#maxLagMs !== undefined) {
      this.#clockSeq = 0;
      if (state) this.#restoreTicks(state.ticks);
      else {
        this.#ms = now;
        this.#sub = -1;
      }
    } else if (state) {
      this.#clockSeq = state.clockSeq & 0x3fff;
      // Inside the previous run's lease, its timestamps may still come: a new clock sequence keeps us apart.
      if (toTicks(now, 0) <= state.ticks) this.#clockSeq = (this.#clockSeq + 1) & 0x3fff;
    } else {
      const seq = new Uint8Array(2);
      do {
        this.#random(seq);
        this.#clockSeq = (((seq[0] as number) << 8) | (seq[1] as number)) & 0x3fff;
      } while (this.#clockSeq === 0);
    }
    this.#rebuildSuffix();
  }

  #restoreTicks(ticks: bigint): void {
    const sinceUnix = ticks - BigInt(GREGORIAN_OFFSET_MS) * 10_000n;
    this.#ms = Number(sinceUnix / 10_000n);
    this.#sub = Number(sinceUnix % 10_000n);
  }

  /** Moves the timestamp on by `count` ticks; the first of them is left in #firstMs/#firstSub. */
  #advance(count: number): void {
    if (!this.#started) this.#start();
    const now = Math.floor(this.#clock());
    let ms = this.#ms;
    let sub = this.#sub;
    if (this.#maxLagMs !== undefined) {
      const floorMs = now - this.#maxLagMs;
      if (ms < floorMs) {
        ms = floorMs;
        sub = 0;
      } else sub++;
    } else if (now < this.#lastClock) {
      // The clock went back: the old timestamps may come again, so change the clock sequence.
      this.#clockSeq = (this.#clockSeq + 1) & 0x3fff;
      this.#rebuildSuffix();
      ms = now;
      sub = 0;
      this.#leasedTo = Number.NEGATIVE_INFINITY; // save the new sequence now
    } else if (now > ms) {
      ms = now;
      sub = 0;
    } else sub++;
    this.#lastClock = now;
    if (sub >= TICKS_PER_MS) {
      ms += Math.floor(sub / TICKS_PER_MS);
      sub %= TICKS_PER_MS;
    }
    this.#firstMs = ms;
    this.#firstSub = sub;
    if (count > 1) {
      sub += count - 1;
      if (sub >= TICKS_PER_MS) {
        ms += Math.floor(sub / TICKS_PER_MS);
        sub %= TICKS_PER_MS;
      }
    }
    this.#ms = ms;
    this.#sub = sub;
    if (this.#store !== undefined && ms >= this.#leasedTo) {
      this.#leasedTo = ms + this.#leaseMs;
      this.#store.save({
        clockSeq: this.#clockSeq,
        ticks: toTicks(this.#leasedTo, 0),
        node: Uint8Array.from(this.#node as Uint8Array),
      });
    }
  }

  /** The 60-bit timestamp of #firstMs/#firstSub as its low 32 bits and high 28 bits. */
  #fields(): { lo: number; hi: number } {
    const msG = this.#firstMs + GREGORIAN_OFFSET_MS;
    // ticks = msG * 10000 + sub; with msG = a * 2^28 + b, a * 2^28 * 10000 = a * 625 * 2^32.
    const a = Math.floor(msG / 0x10000000);
    const x = (msG - a * 0x10000000) * TICKS_PER_MS + this.#firstSub;
    const lo = x >>> 0;
    const hi = (a * 625 + Math.floor(x / 0x100000000)) & 0xfffffff;
    return { lo, hi };
  }

  #write(buf: Uint8Array, offset: number, ver: 1 | 6): Uint8Array {
    if (!(offset >= 0 && offset + 16 <= buf.length)) {
      throw new RangeError(`UUID byte range ${offset}:${offset + 15} is out of buffer bounds`);
    }
    const { lo, hi } = this.#fields();
    if (ver === 1) {
      buf[offset] = lo >>> 24;
      buf[offset + 1] = (lo >>> 16) & 0xff;
      buf[offset + 2] = (lo >>> 8) & 0xff;
      buf[offset + 3] = lo & 0xff;
      buf[offset + 4] = (hi >>> 8) & 0xff;
      buf[offset + 5] = hi & 0xff;
      buf[offset + 6] = 0x10 | ((hi >>> 24) & 0x0f);
      buf[offset + 7] = (hi >>> 16) & 0xff;
    } else {
      const top = ((hi << 4) | (lo >>> 28)) >>> 0;
      buf[offset] = top >>> 24;
      buf[offset + 1] = (top >>> 16) & 0xff;
      buf[offset + 2] = (top >>> 8) & 0xff;
      buf[offset + 3] = top & 0xff;
      buf[offset + 4] = (lo >>> 20) & 0xff;
      buf[offset + 5] = (lo >>> 12) & 0xff;
      buf[offset + 6] = 0x60 | ((lo >>> 8) & 0x0f);
      buf[offset + 7] = lo & 0xff;
    }
    buf[offset + 8] = 0x80 | (this.#clockSeq >>> 8);
    buf[offset + 9] = this.#clockSeq & 0xff;
    buf.set(this.#node as Uint8Array, offset + 10);
    return buf;
  }

  #rebuildSuffix(): void {
    const n = this.#node as Uint8Array;
    let s = `-${H[0x80 | (this.#clockSeq >>> 8)]}${H[this.#clockSeq & 0xff]}-`;
    for (let i = 0; i < 6; i++) s += H[n[i] as number];
    this.#suffix = s;
  }
}

/** The process-wide generator behind `v1()` and `v6()`. */
export const sharedTimeGenerator: TimeUuidGenerator = /* @__PURE__ */ new TimeUuidGenerator({
  random: (bytes) => {
    const at = pool.take(bytes.length);
    bytes.set(pool.bytes.subarray(at, at + bytes.length));
  },
});
