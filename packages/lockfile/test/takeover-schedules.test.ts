import { describe, expect, it } from 'vitest';
import { createLocker, type LockError, type LockFileSystem, type LockPorts } from '../src/index.js';
import { asPort, fakeWorld } from './fakes.js';

/**
 * Two contenders for one stale lock over the in-memory file system, each of their calls (file-system calls and
 * sleeps) held at a gate until a seeded scheduler lets it through: a schedule is an interleaving of their steps,
 * with bursts where one contender runs while the other is descheduled, as on a loaded machine.
 */
async function race(seed: number, format: 'directory' | 'link'): Promise<string[]> {
  let state = seed + 1;
  const random = () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
  const world = fakeWorld();
  // Linux: readdir of a symbolic link to nothing (a lock link's target is a record, not a path) fails with ENOENT.
  const readdir = world.fs.readdir.bind(world.fs);
  world.fs.readdir = (path) => {
    if (world.fs.nodes.get(path)?.kind === 'link') throw Object.assign(new Error(path), { code: 'ENOENT' });
    return readdir(path);
  };
  // A lock left by pid 50, killed: of the earlier format (a directory holding the record), or a link.
  const record = { pid: 50, startTime: 5, hostname: 'alpha', token: 'dead', created: world.clock.now() };
  if (format === 'link') world.fs.symlink(JSON.stringify(record), '/locks/job.lock');
  else {
    world.fs.mkdir('/locks/job.lock');
    world.fs.writeFile('/locks/job.lock/owner.dead.json', JSON.stringify(record));
  }
  const gates: { who: number; go: () => void }[] = [];
  const gate = (who: number) => new Promise<void>((go) => gates.push({ who, go }));
  const contender = (who: number, pid: number): LockPorts => {
    world.processes.table.set(pid, 1_000 + pid);
    const inner = asPort(world.fs);
    const fs = { atExit: inner.atExit } as Record<string, unknown>;
    for (const [name, call] of Object.entries(inner)) {
      if (name === 'atExit') continue;
      fs[name] = async (...args: unknown[]) => {
        await gate(who);
        return (call as (...a: unknown[]) => Promise<unknown>)(...args);
      };
    }
    let tokens = 0;
    return {
      fs: fs as unknown as LockFileSystem,
      clock: {
        now: () => world.clock.now(),
        monotonic: () => world.clock.monotonic(),
        sleep: () => gate(who), // a wait lasts as long as the schedule makes it last
        every: () => () => {},
        after: () => () => {},
      },
      probe: world.processes,
      host: { pid, hostname: 'alpha', bootId: 'boot-1' },
      random: { token: () => `t${pid}x${++tokens}`, fraction: () => 0.5 },
    };
  };
  const outcomes: string[] = [];
  let done = 0;
  for (const [who, pid] of [
    [0, 100],
    [1, 200],
  ] as const) {
    createLocker(contender(who, pid))
      .acquire('/locks/job') // timeout 0: one try
      .then(
        () => (outcomes[who] = `won`),
        (error: LockError) => (outcomes[who] = `${error.code} by ${error.owner?.pid}`),
      )
      .finally(() => done++);
  }
  let bias = 0.5;
  while (done < 2) {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    if (gates.length === 0) continue;
    if (random() < 0.15) bias = [0.01, 0.2, 0.5, 0.8, 0.99][Math.floor(random() * 5)]!;
    const next = random() < bias ? 0 : 1;
    const index = Math.max(
      0,
      gates.findIndex((waiting) => waiting.who === next),
    );
    gates.splice(index, 1)[0]!.go();
  }
  return outcomes;
}

describe('a stale lock under every schedule', () => {
  it('of two contenders for a stale lock of the earlier format, exactly one wins and the other names it, in 2000 seeded schedules', async () => {
    const wrong: string[] = [];
    for (let seed = 0; seed < 2000; seed++) {
      const [a, b] = await race(seed, 'directory');
      const right = (a === 'won' && b === 'ELOCKED by 100') || (b === 'won' && a === 'ELOCKED by 200');
      if (!right) wrong.push(`seed ${seed}: ${a} | ${b}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it('of two contenders for a stale lock link, exactly one wins and the other is refused, in 1000 seeded schedules', async () => {
    const wrong: string[] = [];
    for (let seed = 0; seed < 1000; seed++) {
      const [a, b] = await race(seed, 'link');
      const refused = (outcome: string | undefined) => outcome?.startsWith('ELOCKED') === true;
      if (!((a === 'won' && refused(b)) || (b === 'won' && refused(a))))
        wrong.push(`seed ${seed}: ${a} | ${b}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});
