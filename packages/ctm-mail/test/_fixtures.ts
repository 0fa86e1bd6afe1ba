// Shared by the tests of the mail side: the manual's sample piece, a deterministic byte source, fakes of the ports.
import type { HeldLock, LockPort, PieceStore, PieceWriter } from '../src/index.js';
import { PieceScanner, type ScanEvent, splitDelta } from '../src/index.js';

/** The sample piece of the ctm_rmail(1) manual: 204 bytes, checksum 61065. */
export const MANUAL_PIECE = `From: owner-src-cur
To: src-cur
Subject: ctm-mail src-cur.0003.gz 1/4

CTM_MAIL BEGIN src-cur.0003.gz 1 4
H4sIAAAAAAACA3VU72/bNhD9bP0VByQoEiyRSZEUSQP9kKTeYCR2gDTdsGFAwB/HRogtG5K8NCj6
v4+UZSdtUQh6Rz0eee/xaF/dzx8up3/MFlDkBNrGnbttAwyo1pxoRgoiBNX/QJ5d3c9/X8DcPGGo
lggkPiXngE4W1gUjKPJCYyk5MZRbIqmNW/ASglIFcdwIzTUxaAqhnCPcBqloKEkJVNDMF0Azk+Bo
dDzzk0Ods/+A5gXv9YyJHjMCtJwQNeESNma7hOmXDRxn
CTM_MAIL END 61065
`;

/** Deterministic pseudo-random bytes. */
export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const text = (s: string) => new TextEncoder().encode(s);
export const str = (b: Uint8Array) => new TextDecoder('latin1').decode(b);

/** A delta source over bytes in memory. */
export function sourceOf(data: Uint8Array): { read(n: number): Uint8Array } {
  let at = 0;
  return {
    read: (n) => {
      const out = data.subarray(at, at + n);
      at += out.length;
      return out;
    },
  };
}

/** The messages ctm_smail would send for `data`. */
export async function pieceMessages(
  data: Uint8Array,
  name: string,
  maxMessageSize = 64000,
  alias = 'ctm-list',
): Promise<string[]> {
  const messages: string[] = [];
  let at = 0;
  await splitDelta(
    {
      read: (n) => {
        const out = data.subarray(at, at + n);
        at += out.length;
        return out;
      },
    },
    { name, size: data.length, alias, maxMessageSize },
    () => {
      const parts: string[] = [];
      return {
        write: (b) => {
          parts.push(str(b));
        },
        close: () => {
          messages.push(parts.join(''));
        },
      };
    },
  );
  return messages;
}

/** Every event of scanning `input` in chunks of `chunkSize`. */
export function scanAll(input: Uint8Array, chunkSize = input.length || 1): ScanEvent[] {
  const scanner = new PieceScanner();
  const events: ScanEvent[] = [];
  // Data events are views that the next feed overwrites: keep copies.
  const keep = (e: ScanEvent): ScanEvent =>
    e.type === 'data' ? { type: 'data', bytes: e.bytes.slice() } : e;
  for (let i = 0; i < input.length; i += chunkSize) {
    events.push(...scanner.feed(input.subarray(i, i + chunkSize)).map(keep));
  }
  events.push(...scanner.end().map(keep));
  return events;
}

/** The pieces found: name, number, count and data, for intact ones. */
export function piecesOf(
  events: readonly ScanEvent[],
): { name: string; number: number; count: number; data: Uint8Array }[] {
  const out: { name: string; number: number; count: number; data: Uint8Array }[] = [];
  let parts: Uint8Array[] = [];
  for (const e of events) {
    if (e.type === 'begin') parts = [];
    else if (e.type === 'data') parts.push(e.bytes.slice());
    else if (e.type === 'end') out.push({ ...e.piece, data: concat(parts) });
  }
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An in-memory piece store: files by name, and rebuilt deltas. */
export class MemoryStore implements PieceStore {
  pieces = new Map<string, Uint8Array>();
  deltas = new Map<string, Uint8Array>();
  /** What each rebuilt delta was rebuilt from: its pieces' digests. */
  rebuilt = new Map<string, readonly string[]>();
  temporaries = 0;
  builds: string[] = [];

  async list() {
    return [...this.pieces.keys()];
  }
  async create(): Promise<PieceWriter> {
    const parts: Uint8Array[] = [];
    this.temporaries++;
    return {
      write: (b) => {
        parts.push(b.slice());
      },
      commit: async (file) => {
        this.temporaries--;
        this.pieces.set(file, concat(parts));
      },
      discard: async () => {
        this.temporaries--;
      },
    };
  }
  async read(file: string) {
    const bytes = this.pieces.get(file);
    if (!bytes) throw new Error(`no piece ${file}`);
    return bytes;
  }
  async remove(file: string) {
    this.pieces.delete(file);
  }
  async removeTemporaries() {}
  async build(name: string, pieces: readonly (string | Uint8Array)[]) {
    this.builds.push(name);
    this.deltas.set(name, concat(pieces.map((p) => (typeof p === 'string' ? this.pieces.get(p)! : p))));
  }
  async rebuiltFrom(name: string) {
    return this.rebuilt.get(name);
  }
  async markRebuilt(name: string, pieces: readonly string[]) {
    this.rebuilt.set(name, pieces);
  }
}

/** A lock port that counts, and refuses a second holder. */
export class FakeLocks implements LockPort {
  held = new Set<string>();
  acquired = 0;
  async acquire(name: 'build' | 'apply'): Promise<HeldLock> {
    if (this.held.has(name)) throw new Error(`${name} already held`);
    this.held.add(name);
    this.acquired++;
    return { release: async () => void this.held.delete(name) };
  }
}
