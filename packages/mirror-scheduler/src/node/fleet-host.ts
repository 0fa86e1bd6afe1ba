// What the fleet's worker asks of the host it runs on: its name, a fresh worker name, whether a program is there.
// The pg-boss adapter runs on Node only; its Node calls stay here, beside the other Node adapters.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';

/** This host's name, as the fleet's workers table records it. */
export function hostName(): string {
  return hostname();
}

/** A worker name unique across the fleet: host, pid and a random tag. */
export function newWorkerName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Whether a program exists at `path`. */
export function programExists(path: string): boolean {
  return existsSync(path);
}
