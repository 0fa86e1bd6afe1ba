import { type LockOwner, type ProcessRef, type RecordKind, sameBoot, sameHost } from './owner.js';
import type { LockPorts } from './ports.js';

/** One entry found inside a lock directory. */
export interface LockEntry {
  readonly name: string;
  /** The token of an owner record's file name; undefined for anything else found there. */
  readonly token: string | undefined;
  /** What the record stands for (undefined for anything else found there). */
  readonly kind?: RecordKind | undefined;
  /** The parsed record; undefined when the record is empty or corrupt, or the entry is not a record. */
  readonly owner: LockOwner | undefined;
  /** Its modification time: the heartbeat. */
  readonly mtimeMs: number;
  /** A lock link's target as read (what a takeover checks is still there before removing it). */
  readonly link?: string | undefined;
}

/**
 * Judges whether entries of a lock are stale. On the owner's own host the recorded processes' liveness decides
 * (dead is stale at once, alive never, even when stopped); otherwise, and for a corrupt record, the heartbeat
 * (the entry's mtime) decides: stale when older than `stale` ms, or when seen unchanged for `stale` ms of our
 * monotonic clock (which covers a heartbeat time in the future after a clock jump or between skewed hosts).
 */
export class Staleness {
  readonly #ports: LockPorts;
  readonly #stale: number;
  readonly #firstSeen = new Map<string, number>();

  constructor(ports: LockPorts, stale: number) {
    this.#ports = ports;
    this.#stale = stale;
  }

  isStale(entry: LockEntry): boolean {
    const owner = entry.owner;
    if (owner !== undefined && sameHost(owner.hostname, this.#ports.host.hostname)) {
      const bootId = this.#ports.host.bootId;
      // Another boot of this host: every process it recorded is gone, whatever pids run now.
      if (owner.bootId !== undefined && bootId !== undefined && !sameBoot(owner.bootId, bootId)) return true;
      const refs: ProcessRef[] = [{ pid: owner.pid, startTime: owner.startTime }, ...(owner.adopted ?? [])];
      return !refs.some((ref) => this.#ports.probe.isAlive(ref.pid, ref.startTime));
    }
    return this.#heartbeatExpired(entry);
  }

  #heartbeatExpired(entry: LockEntry): boolean {
    if (this.#ports.clock.now() - entry.mtimeMs > this.#stale) return true;
    const key = `${entry.name}@${entry.mtimeMs}`;
    const now = this.#ports.clock.monotonic();
    const first = this.#firstSeen.get(key);
    if (first === undefined) {
      this.#firstSeen.set(key, now);
      return false;
    }
    return now - first > this.#stale;
  }
}
