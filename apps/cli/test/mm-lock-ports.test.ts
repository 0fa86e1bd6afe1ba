import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@suite/mirror-scheduler';
import { forkServerExecutor } from '@suite/mirror-scheduler/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockfileJobLocks } from '../src/commands/mm/lock-ports.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mm-locks-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const job = (id: string) => ({ id, command: 'true', cwd: home }) as unknown as Job;

describe("mm's per-job locks", () => {
  it("take each job's lock as one symbolic link in HOME/mm.locks, and give it back without a trace", async () => {
    const locks = lockfileJobLocks(home);
    const attempt = await locks.tryLock(job('site:pkg'));
    expect(attempt.acquired).toBe(true);
    expect((await lstat(join(home, 'mm.locks', 'site%3Apkg.lock'))).isSymbolicLink()).toBe(true);
    expect(await locks.tryLock(job('site:pkg'))).toMatchObject({
      acquired: false,
      holder: { pid: process.pid },
    });
    if (attempt.acquired) {
      await attempt.lock.adopt?.(process.pid);
      expect(await locks.holder(job('site:pkg'))).toMatchObject({ pid: process.pid, pids: [process.pid] });
      await attempt.lock.release();
    }
    expect(await readdir(join(home, 'mm.locks'))).toEqual([]);
  });

  it("name the helper that forks the jobs in each lock, adopt no job's process while it lives, and adopt them all once it is lost", async () => {
    // A real process stands for the fork helper; its end is the helper being lost.
    const helper = spawn('sleep', ['30'], { stdio: 'ignore' });
    const lost = new Promise<void>((resolve) => helper.on('exit', () => resolve()));
    const job1 = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      let gone = false;
      void lost.then(() => {
        gone = true;
      });
      const keeper = () => (gone ? undefined : { pid: helper.pid!, lost });
      const locks = lockfileJobLocks(home, keeper);
      const attempt = await locks.tryLock(job('site:pkg'));
      if (!attempt.acquired) throw new Error('not acquired');
      expect(await locks.holder(job('site:pkg'))).toMatchObject({ pid: process.pid, pids: [helper.pid] });
      await attempt.lock.adopt?.(job1.pid!);
      expect(await locks.holder(job('site:pkg'))).toMatchObject({ pid: process.pid, pids: [helper.pid] });
      helper.kill('SIGKILL');
      await lost;
      for (let i = 0; i < 100; i++) {
        if ((await locks.holder(job('site:pkg')))?.pids?.includes(job1.pid!)) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect((await locks.holder(job('site:pkg')))?.pids).toEqual([helper.pid, job1.pid]);
      // A job taken under a helper that is gone is adopted as before.
      const second = await locks.tryLock(job('site:other'));
      if (!second.acquired) throw new Error('not acquired');
      await second.lock.adopt?.(job1.pid!);
      expect(await locks.holder(job('site:other'))).toMatchObject({ pids: [job1.pid] });
      await second.lock.release();
      await attempt.lock.release();
      expect(await readdir(join(home, 'mm.locks'))).toEqual([]);
    } finally {
      helper.kill('SIGKILL');
      job1.kill('SIGKILL');
    }
  });

  it("name a job's own process as the holder's pids, never mm's fork helper", async () => {
    const executor = forkServerExecutor({ output: 'ignore' });
    const locks = lockfileJobLocks(home, (start) => executor.keeper(start));
    const attempt = await locks.tryLock(job('site:pkg'));
    if (!attempt.acquired) throw new Error('not acquired');
    const helper = executor.keeper(false)!.pid;
    expect(await locks.holder(job('site:pkg'))).toMatchObject({ pid: process.pid });
    expect((await locks.holder(job('site:pkg')))?.pids).toBeUndefined();
    const running = await executor.start({ ...job('site:pkg'), command: 'sleep 0.2' });
    await attempt.lock.adopt?.(running.pid!);
    expect((await locks.holder(job('site:pkg')))?.pids ?? []).not.toContain(helper);
    await running.exited;
    await attempt.lock.release();
  });

  it('make mm.locks again when it is removed during the run', async () => {
    const locks = lockfileJobLocks(home);
    const first = await locks.tryLock(job('a:1'));
    if (first.acquired) await first.lock.release();
    await rm(join(home, 'mm.locks'), { recursive: true });
    const second = await locks.tryLock(job('a:2'));
    expect(second.acquired).toBe(true);
    if (second.acquired) await second.lock.release();
  });

  it('lock where mm.locks really is when it is a symbolic link to another directory', async () => {
    await mkdir(join(home, 'elsewhere'));
    await symlink(join(home, 'elsewhere'), join(home, 'mm.locks'));
    const locks = lockfileJobLocks(home);
    const attempt = await locks.tryLock(job('a:1'));
    expect(await readdir(join(home, 'elsewhere'))).toEqual(['a%3A1.lock']);
    if (attempt.acquired) await attempt.lock.release();
  });
});
