import { join } from 'node:path';
import type { HeldLock, LockPort } from '@suite/ctm-mail';
import type { LockHandle } from '@suite/lockfile/node';

/** How long a run waits for another to finish with the directories before it gives up. */
const WAIT_MS = 10 * 60_000;

/**
 * ctm_rmail's locks on @suite/lockfile: `DELTADIR/.mutex_build` and `DELTADIR/.mutex_apply` as in the original
 * (the lock files themselves are `.mutex_build.lock` and `.mutex_apply.lock`). A lock whose owner died (kill -9) is
 * taken over.
 */
export function deltaDirLocks(deltaDir: string): LockPort & { adopt(pid: number): Promise<void> } {
  const held = new Set<LockHandle>();
  return {
    async acquire(name): Promise<HeldLock> {
      const { acquire } = await import('@suite/lockfile/node');
      const handle = await acquire(join(deltaDir, `.mutex_${name}`), {
        timeout: WAIT_MS,
        stale: 30_000,
      });
      held.add(handle);
      return {
        release: () => {
          held.delete(handle);
          return handle.release();
        },
      };
    },
    /** A child (ctm) now keeps the held locks alive too: if we die, nobody takes them while it runs. */
    async adopt(pid) {
      for (const handle of held) await handle.adopt(pid);
    },
  };
}
