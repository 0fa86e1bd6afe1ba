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

/**
 * The longest link target that ext4 keeps inside the inode ("fast" symbolic link): a longer one needs a data
 * block, which costs as much as making a directory (measured here: 70,000 against 1,000 links per second).
 */
export const FAST_LINK_MAX = 59;
const LINK_VERSION = '1';

/** The stand-in for a host name or boot id too long for a lock link: `#` and a hash of it. */
function tagged(value: string): string {
  return `#${hostTag(value)}`;
}

/**
 * Whether a host name recorded in a lock names the host called `hostname`: a lock link records a long host name
 * by its tag (`#` and a hash) to stay short, and this tells the two apart.
 * @example
 * const owner = await readOwner('/srv/job'); // thisHost: os.hostname() in Node
 * if (owner && !sameHost(owner.hostname, thisHost)) console.log(`held on host ${owner.hostname}`);
 */
export function sameHost(recorded: string, hostname: string): boolean {
  return recorded === hostname || (recorded.startsWith('#') && recorded === tagged(hostname));
}

/** Whether a recorded boot id (possibly a tagged one, 4 digits of its hash) names the boot `bootId`. */
export function sameBoot(recorded: string, bootId: string): boolean {
  return recorded === bootId || (recorded.startsWith('#') && recorded === bootTag(bootId));
}

function bootTag(bootId: string): string {
  return tagged(bootId).slice(0, 5);
}

const b36 = (n: number | undefined) => (n === undefined ? '' : n.toString(36));

/**
 * The owner record as the target of an exclusive lock's symbolic link, short enough for a fast link where it can
 * be: `1.<pid>.<start time>.<random>.<created>.<boot tag>.<adopted pid:start,...>.<host name>` (numbers in base 36;
 * the random part is the token's last part, the rest of the token derives from the fields). A host name that does
 * not fit is replaced by its tag (`#` and its hash, as the token carries), then the boot tag is left out; a record
 * that still does not fit (several adopted pids) is written as JSON, like a record file.
 */
export function encodeLink(owner: LockOwner): string {
  const creator = creatorOfToken(owner.token);
  if (creator !== undefined && creator.pid === owner.pid && creator.startTime === owner.startTime) {
    const random = owner.token.split('-').slice(3).join('-');
    const adopted = (owner.adopted ?? []).map((ref) => `${b36(ref.pid)}:${b36(ref.startTime)}`).join(',');
    const boot = owner.bootId === undefined ? '' : bootTag(owner.bootId);
    const head = [LINK_VERSION, b36(owner.pid), b36(owner.startTime), random, b36(owner.created)];
    const fields = (bootField: string, host: string) => [...head, bootField, adopted, host].join('.');
    // Shorter and shorter: the host name tagged, then without the boot tag (start times tell reused pids apart).
    for (const text of [
      fields(boot, owner.hostname),
      fields(boot, tagged(owner.hostname)),
      fields('', tagged(owner.hostname)),
    ]) {
      if (text.length <= FAST_LINK_MAX) return text;
    }
  }
  return encodeOwner(owner).slice(0, -1);
}

const LINK =
  /^1\.([0-9a-z]{1,11})\.([0-9a-z]{0,11})\.([A-Za-z0-9_-]+)\.([0-9a-z]{1,11})\.(#[0-9a-z]{4})?\.((?:[0-9a-z]{1,11}:[0-9a-z]{0,11})(?:,[0-9a-z]{1,11}:[0-9a-z]{0,11})*)?\.(.+)$/;

/** Parses a lock link's target (either form of {@link encodeLink}); undefined when it is not a record of ours. */
export function decodeLink(text: string): LockOwner | undefined {
  if (text.startsWith('{')) {
    const token = /"token":"([A-Za-z0-9_-]+)"/.exec(text)?.[1];
    return token === undefined ? undefined : decodeOwner(text, token);
  }
  const match = LINK.exec(text);
  if (match === null) return undefined;
  const [, pid36, start36, random, created36, boot, adoptedText, hostname] = match as unknown as string[];
  const pid = Number.parseInt(pid36!, 36);
  const startTime = start36 === '' ? undefined : Number.parseInt(start36!, 36);
  if (!isPid(pid)) return undefined;
  const host = hostname!.startsWith('#') ? hostname!.slice(1) : hostTag(hostname!);
  const adopted: ProcessRef[] = (adoptedText ?? '')
    .split(',')
    .filter((ref) => ref !== '')
    .map((ref) => {
      const [p, s] = ref.split(':') as [string, string];
      return { pid: Number.parseInt(p, 36), startTime: s === '' ? undefined : Number.parseInt(s, 36) };
    });
  return {
    pid,
    startTime,
    hostname: hostname!,
    bootId: boot === undefined || boot === '' ? undefined : boot,
    token: `${pid36}-${start36}-${host}-${random}`,
    created: Number.parseInt(created36!, 36),
    ...(adopted.length > 0 ? { adopted, pids: adopted.map((ref) => ref.pid) } : {}),
  };
}
