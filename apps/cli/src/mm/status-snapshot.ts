import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  HISTORY_FILE,
  historyFileStore,
  type MirrorPlan,
  type StatusSnapshot,
  statusFileStore,
  statusSnapshot,
} from '@suite/mirror-scheduler/node';
import { lockfileFileLock, lockfileJobLocks } from './lock-ports.js';

/** The run history mm keeps beside mm.status.json in each home (20 runs per job). */
export const mmHistory = () => historyFileStore({ fileLock: lockfileFileLock });

/**
 * The status of every job of the plan now, read from the files mm keeps: mm.status(.json), the job locks and
 * mm.history.jsonl. A damaged history is reported in the snapshot's notes, not as an error.
 */
export async function planSnapshot(plan: MirrorPlan): Promise<StatusSnapshot> {
  const history = mmHistory();
  const notes: string[] = [];
  for (const home of plan.homes) {
    const { damaged } = await history.readHome(home);
    if (damaged > 0)
      notes.push(`${join(home, HISTORY_FILE)}: ${damaged} damaged line${damaged === 1 ? '' : 's'} ignored`);
  }
  return statusSnapshot(plan.steps, {
    store: statusFileStore({ fileLock: lockfileFileLock }),
    locks: lockfileJobLocks(process.cwd()),
    history,
    skip: plan.skip,
    notes,
  });
}

/**
 * Replaces `path` with `text` by writing a temporary file beside it and renaming it over: a web server serving
 * the file sees the old page or the new one, never half of one.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { flag: 'wx', mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}
