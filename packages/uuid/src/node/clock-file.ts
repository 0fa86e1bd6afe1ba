import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { ClockSequenceState, ClockSequenceStore } from '../clock-sequence.js';
import { GREGORIAN_OFFSET_MS } from '../clock-sequence.js';

const UNIX_OFFSET_TICKS = BigInt(GREGORIAN_OFFSET_MS) * 10_000n;
const LINE = /^clock: ([0-9a-f]{1,4}) tv: (-?\d+) (\d+) adj: (\d+)(?: node: ([0-9a-f]{12}))?\s*$/;

/** libuuid's clock.txt line (`clock: %04x tv: %016ld %08ld adj: %08d`), plus the node. */
function format(state: ClockSequenceState): string {
  const unix = state.ticks - UNIX_OFFSET_TICKS; // 100-ns ticks since the Unix epoch
  const sec = unix / 10_000_000n;
  const usec = (unix % 10_000_000n) / 10n;
  const adj = unix % 10n;
  const node = state.node ? ` node: ${Buffer.from(state.node).toString('hex')}` : '';
  return `clock: ${state.clockSeq.toString(16).padStart(4, '0')} tv: ${sec.toString().padStart(16, '0')} ${usec
    .toString()
    .padStart(8, '0')} adj: ${adj.toString().padStart(8, '0')}${node}\n`;
}

function parseLine(text: string): ClockSequenceState | undefined {
  const m = LINE.exec(text.trim());
  if (!m) return undefined;
  const [, clock, sec, usec, adj, node] = m as unknown as [string, string, string, string, string, string?];
  const ticks = UNIX_OFFSET_TICKS + BigInt(sec) * 10_000_000n + BigInt(usec) * 10n + BigInt(adj);
  const state: ClockSequenceState = { clockSeq: Number.parseInt(clock, 16) & 0x3fff, ticks };
  if (node) state.node = Uint8Array.from(Buffer.from(node, 'hex'));
  return state;
}

/**
 * A `ClockSequenceStore` in a file, in libuuid's clock.txt format (`clock: 2f3a tv: 0001763711234 00500000 adj:
 * 00000000 node: 0b1c2d3e4f50`). Each save writes a temporary file beside it, syncs it and renames it over the
 * old one, so a crash leaves the old state or the new one, never half of one. The generator saves a lease ahead
 * (10 s by default), so the file is written about once per lease, not per UUID. A missing or unreadable file
 * loads as no state (the generator then picks a random clock sequence).
 * @example
 * import { TimeUuidGenerator } from '@suite/uuid';
 * import { fileClockStore } from '@suite/uuid/node';
 * const gen = new TimeUuidGenerator({ store: fileClockStore('/var/lib/myapp/clock.txt') });
 */
export function fileClockStore(path: string): ClockSequenceStore {
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      return parseLine(text);
    },
    save(state) {
      const temp = `${path}.${process.pid}.tmp`;
      const fd = openSync(temp, 'w', 0o644);
      try {
        writeSync(fd, format(state));
        fsyncSync(fd);
      } catch (error) {
        closeSync(fd);
        unlinkSync(temp);
        throw error;
      }
      closeSync(fd);
      renameSync(temp, path);
    },
  };
}
