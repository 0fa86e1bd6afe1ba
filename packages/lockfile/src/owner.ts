import type { LockPorts } from './ports.js';

/** A process as a lock records it: its pid and, where the platform tells, its start time (guards against pid reuse). */
export interface ProcessRef {
  readonly pid: number;
  /** Opaque start time of the process (Linux: clock ticks since boot); absent where unknown. */
  readonly startTime?: number | undefined;
}

/**
 * Who holds a lock: the record stored inside the lock directory.
 * @example
 * const owner = await readOwner('/var/run/job');
 * if (owner) console.log(`held by pid ${owner.pid} on ${owner.hostname} since ${new Date(owner.created)}`);
 */
export interface LockOwner {
  /** The pid of the process that acquired the lock. */
  readonly pid: number;
  /** Its start time, where the platform tells (see {@link ProcessRef}). */
  readonly startTime?: number | undefined;
  /** The host it runs on. */
  readonly hostname: string;
  /** The boot id of that host, where available: a different boot id means every recorded process is gone. */
  readonly bootId?: string | undefined;
  /** The random token that identifies this acquisition. */
  readonly token: string;
  /** When the lock was acquired (ms since the epoch, the owner's clock). */
  readonly created: number;
  /** Pids adopted with `adopt()`: the lock stays alive while any of them (or the owner) lives. */
  readonly pids?: readonly number[] | undefined;
  /** The adopted processes with their start times. */
  readonly adopted?: readonly ProcessRef[] | undefined;
}

/**
 * What a record in a lock directory stands for: the exclusive holder (`owner.<token>.json`), one of the shared
 * holders (`shared.<token>.json`), or a writer waiting for the shared holders to leave (`want.<token>.json`).
 */
export type RecordKind = 'exclusive' | 'shared' | 'want';

const PREFIXES: Record<RecordKind, string> = { exclusive: 'owner.', shared: 'shared.', want: 'want.' };
const RECORD_SUFFIX = '.json';

/** The file name of the record of the acquisition `token` inside a lock directory. */
export function ownerFileName(token: string, kind: RecordKind = 'exclusive'): string {
  return `${PREFIXES[kind]}${token}${RECORD_SUFFIX}`;
}

/** The token and kind named by a record's file name, or undefined when the name is not a record's. */
export function parseRecordName(name: string): { token: string; kind: RecordKind } | undefined {
  if (!name.endsWith(RECORD_SUFFIX)) return undefined;
  for (const [kind, prefix] of Object.entries(PREFIXES) as [RecordKind, string][]) {
    if (!name.startsWith(prefix)) continue;
    const token = name.slice(prefix.length, -RECORD_SUFFIX.length);
    return /^[A-Za-z0-9_-]+$/.test(token) ? { token, kind } : undefined;
  }
  return undefined;
}

/** The token named by a record's file name, or undefined when the name is not a record's. */
export function tokenOfFileName(name: string): string | undefined {
  return parseRecordName(name)?.token;
}

/** A short tag of a host name (FNV-1a, 7 base-36 digits) that a token carries. */
export function hostTag(hostname: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < hostname.length; i++) hash = Math.imul(hash ^ hostname.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36).padStart(7, '0');
}

/**
 * A token that names the process that made it, `<pid>-<start time>-<host tag>-<random>` (numbers in base 36),
 * so that whatever a process killed with -9 leaves beside a lock (a spare not yet holding its record, a half
 * written record, an `.adopt` or `.pid` temporary) is recognised as a dead process's by the next process on the
 * same host, at once rather than after `stale` ms.
 */
export function creatorToken(creator: ProcessRef, hostname: string, random: string): string {
  const start = creator.startTime === undefined ? '' : creator.startTime.toString(36);
  return `${creator.pid.toString(36)}-${start}-${hostTag(hostname)}-${random}`;
}

/** A fresh {@link creatorToken} naming this process (`ports.host`), started at `startTime`. */
export function ownToken(ports: Pick<LockPorts, 'host' | 'random'>, startTime: number | undefined): string {
  return creatorToken({ pid: ports.host.pid, startTime }, ports.host.hostname, ports.random.token());
}

/** The process and host tag a {@link creatorToken} names; undefined for any other token. */
export function creatorOfToken(token: string): (ProcessRef & { readonly host: string }) | undefined {
  const match = /^([0-9a-z]{1,11})-([0-9a-z]{0,11})-([0-9a-z]{7})-[A-Za-z0-9_-]+$/.exec(token);
  if (match === null) return undefined;
  const [, pid, start, host] = match as unknown as [string, string, string, string];
  return {
    pid: Number.parseInt(pid, 36),
    startTime: start === '' ? undefined : Number.parseInt(start, 36),
    host,
  };
}

/** The owner record as stored (one line of JSON). */
export function encodeOwner(owner: LockOwner): string {
  const { pids: _derived, ...stored } = owner;
  return `${JSON.stringify(stored)}\n`;
}

function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Parses a stored owner record; undefined when it is empty, truncated or not ours (never throws). */
export function decodeOwner(text: string, token: string): LockOwner | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as Record<string, unknown>;
  if (!isPid(record.pid) || typeof record.hostname !== 'string' || record.token !== token) return undefined;
  if (typeof record.created !== 'number') return undefined;
  const adopted: ProcessRef[] = [];
  if (Array.isArray(record.adopted)) {
    for (const entry of record.adopted as unknown[]) {
      if (typeof entry !== 'object' || entry === null) continue;
      const ref = entry as Record<string, unknown>;
      if (isPid(ref.pid)) adopted.push({ pid: ref.pid, startTime: optionalNumber(ref.startTime) });
    }
  }
  return {
    pid: record.pid,
    startTime: optionalNumber(record.startTime),
    hostname: record.hostname,
    bootId: typeof record.bootId === 'string' ? record.bootId : undefined,
    token,
    created: record.created,
    ...(adopted.length > 0 ? { adopted, pids: adopted.map((ref) => ref.pid) } : {}),
  };
}
