import { STATUS_FILE } from './record.js';
import type { DeltaTree } from './tree.js';

/** What `.ctm_status` says: the service and the number of the last delta applied. */
export interface CtmStatus {
  readonly name: string;
  readonly number: number;
}

/**
 * Reads `.ctm_status` (`NAME NUMBER`) at the top of a tree; `undefined` when there is none or it says nothing usable.
 * @example
 * await readCtmStatus(tree); // { name: 'src-cur', number: 41 }
 */
export async function readCtmStatus(tree: DeltaTree): Promise<CtmStatus | undefined> {
  const entry = await tree.lstat(STATUS_FILE);
  if (entry?.type !== 'file') return undefined;
  const [name, number] = new TextDecoder()
    .decode(await tree.readFile(STATUS_FILE))
    .trim()
    .split(/\s+/);
  if (name === undefined || number === undefined || !/^\d+$/.test(number)) return undefined;
  return { name, number: Number(number) };
}
