import { describe, expect, it } from 'vitest';
import { nextEligibleAt, recordFinished, recordStarted } from '../src/index.js';
import {
  formatStatusFile,
  mergeStatusFile,
  parseStatusFile,
  recordOfStatusLine,
  statusLineOf,
} from '../src/mm/index.js';

describe('mm.status lines', () => {
  it('parses from the right so package names with spaces survive, and keeps garbage lines in place', () => {
    const text = 'a:gnu tools 1700000000 0 u 0\n%% garbage\nb:x 1700000001 256 l 4242\n';
    const entries = parseStatusFile(text);
    expect(entries).toEqual([
      { kind: 'job', line: { id: 'a:gnu tools', lastTried: 1700000000, status: 0, locked: false, pid: 0 } },
      { kind: 'other', text: '%% garbage' },
      { kind: 'job', line: { id: 'b:x', lastTried: 1700000001, status: 256, locked: true, pid: 4242 } },
    ]);
    expect(formatStatusFile(entries)).toBe(text);
  });

  it('a rewrite after a garbage line keeps every entry after it', () => {
    const entries = parseStatusFile('a:1 1 0 u 0\nGARBAGE\nb:2 2 0 u 0\nc:3 3 0 u 0\n');
    const merged = mergeStatusFile(entries, [
      { id: 'b:2', lastTried: 9, status: 256, locked: false, pid: 0 },
    ]);
    expect(formatStatusFile(merged)).toBe('a:1 1 0 u 0\nGARBAGE\nb:2 9 256 u 0\nc:3 3 0 u 0\n');
  });

  it('writes the wait status (exit code × 256, or the signal number), l PID while running, then the end time and the same PID, as mm.pl does', () => {
    const job = { id: 's:p' };
    const started = recordStarted(undefined, 's:p', 5_000, 77);
    expect(statusLineOf(started)).toEqual({ id: 's:p', lastTried: 5, status: 0, locked: true, pid: 77 });
    const failed = recordFinished(job, started, 6_000, { exitCode: 3, signal: null, ok: false });
    expect(statusLineOf(failed)).toEqual({ id: 's:p', lastTried: 6, status: 768, locked: false, pid: 77 });
    const killed = recordFinished(job, started, 6_000, { exitCode: null, signal: 'SIGTERM', ok: false });
    expect(statusLineOf(killed).status).toBe(15);
  });

  it('reads a line of the original mm as a record: a locked line with no end is an interrupted run', () => {
    const r = recordOfStatusLine({ id: 's:p', lastTried: 100, status: 0, locked: true, pid: 5 });
    expect(nextEligibleAt({ id: 's:p', retryAfterSuccess: 1e9, retryAfterFailure: 1000 }, r)).toBe(101_000);
    const ok = recordOfStatusLine({ id: 's:p', lastTried: 100, status: 0, locked: false, pid: 0 });
    expect(nextEligibleAt({ id: 's:p', retryAfterSuccess: 5000 }, ok)).toBe(105_000);
  });
});
