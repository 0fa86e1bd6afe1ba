import { join } from 'node:path';
import type { HeldLock, LockPort } from '@suite/ctm-mail';

/** The part of @suite/lockfile this adapter uses (its contract; see packages/lockfile). */
interface LockfileApi {
  acquire(
    path: string,
    options?: { stale?: number; timeout?: number },
  ): Promise<{ release(): Promise<void>; adopt(pid: number): Promise<void> }>;
}

/** How long a run waits for another to finish with the directories before it gives up. */
const WAIT_MS = 10 * 60_000;

/**
 * ctm_rmail's locks on @suite/lockfile: `DELTADIR/.mutex_build` and `DELTADIR/.mutex_apply` as in the original
 * (the lock files themselves are `.mutex_build.lock` and `.mutex_apply.lock`). A lock whose owner died (kill -9) is
 * taken over.
 */
export function deltaDirLocks(deltaDir: string): LockPort & { adopt(pid: number): Promise<void> } {
  const held = new Set<{ adopt(pid: number): Promise<void> }>();
  return {
    async acquire(name): Promise<HeldLock> {
      const lockfile = (await import('@suite/lockfile/node')) as unknown as LockfileApi;
      const handle = await lockfile.acquire(join(deltaDir, `.mutex_${name}`), {
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
