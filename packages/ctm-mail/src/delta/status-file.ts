import { STATUS_FILE } from './record.js';
import type { DeltaTree } from './tree.js';

/** What `.ctm_status` says: the service and the number of the last delta applied. */
export interface CtmStatus {
  readonly name: string;
  readonly number: number;
}

/** The longest NAME a `.ctm_status` may hold (ctm_rmail reads it into 20 bytes). */
const MAX_STATUS_NAME = 19;

/**
 * Reads the text of a `.ctm_status` file: `NAME NUMBER`, two fields exactly, separated and surrounded only by ASCII
 * white space (C's `isspace`), NAME at most 19 characters, NUMBER decimal digits without a sign. `undefined` for
 * anything else: ctm then skips no delta as already applied, and ctm_rmail -b applies none.
 * @example
 * parseCtmStatus('src-cur 42\n'); // { name: 'src-cur', number: 42 }
 * parseCtmStatus('src-cur 42 extra'); // undefined
 */
export function parseCtmStatus(text: string): CtmStatus | undefined {
  const fields = text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '').split(/[ \t\n\v\f\r]+/);
  if (fields.length !== 2) return undefined;
  const [name, number] = fields as [string, string];
  if (name.length > MAX_STATUS_NAME || !/^\d+$/.test(number)) return undefined;
  const value = Number(number);
  return Number.isSafeInteger(value) ? { name, number: value } : undefined;
}

/**
 * Reads `.ctm_status` (`NAME NUMBER`, see {@link parseCtmStatus}) at the top of a tree; `undefined` when there is
 * none or it says nothing usable.
 * @example
 * await readCtmStatus(tree); // { name: 'src-cur', number: 41 }
 */
export async function readCtmStatus(tree: DeltaTree): Promise<CtmStatus | undefined> {
  const entry = await tree.lstat(STATUS_FILE);
  if (entry?.type !== 'file') return undefined;
  return parseCtmStatus(latin1(await tree.readFile(STATUS_FILE)));
}

/** Bytes as one character each (names are byte strings). */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}
