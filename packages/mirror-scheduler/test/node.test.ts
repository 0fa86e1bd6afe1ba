import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '@suite/internal/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIRROR_COMMAND, loadConfig, mirrorCommand } from '../src/mm/index.js';
import {
  forkServerExecutor,
  nodeConfigHost,
  parseJobName,
  recordFinished,
  recordStarted,
  runJobs,
  type SchedulerEvent,
  shellExecutor,
  statusFileStore,
} from '../src/node/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-node-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Whether `pid` is a live process (a zombie waiting for a reaper counts as dead). */
const alive = async (pid: number) => isAlive(pid);

describe('shellExecutor', () => {
  it('runs hostile names through any template without running what they contain', async () => {
    const templates = [
      DEFAULT_MIRROR_COMMAND.replace('./mirror', 'printf "%s|" ').replace(' 2>&1', ''),
      'printf "%s|" $site $package "$site" \'$package\' "x$pkg" > "logs/$site:$pkg"',
      'for a in $args; do echo "$a" $site; done > logs/$site:$pkg',
    ];
    const names = ['x;touch>F:p', '$(touch F):`touch F`', "q'u\"o:t'e", 'sp ace:pk g'];
    await mkdir(join(dir, 'logs'));
    await mkdir(join(dir, 'packages'));
    for (const template of templates) {
      const jobs = names.map((id) => {
        const cmd = mirrorCommand(template, parseJobName(id), ['-a b']);
        return { id, command: cmd.script, args: cmd.args, env: cmd.env, cwd: dir };
      });
      const summary = await runJobs(jobs, { executor: shellExecutor() }).summary;
      expect(summary.started).toBe(4);
    }
    expect((await readdir(dir)).sort()).toEqual(['logs', 'packages']);
    const logs = await readdir(join(dir, 'logs'));
    expect(logs.sort()).toEqual(['$(touch F):`touch_F`', 'q\'u"o:t_e', 'sp ace:pk_g', 'x;touch>F:p'].sort());
    expect(await readFile(join(dir, 'logs', 'x;touch>F:p'), 'utf8')).toBe('-a b x;touch>F\n'); // the last template's output
  });

  for (const forkServer of [true, false]) {
    const executorOf = (options: Parameters<typeof shellExecutor>[0] = {}) =>
      forkServer ? forkServerExecutor(options) : shellExecutor(options);
    describe(
      forkServer ? 'through the fork server (forkServerExecutor)' : 'with Node spawn (shellExecutor)',
      () => {
        it('runs in the job cwd with its env and positional args, and reports exit codes', async () => {
          const events: SchedulerEvent[] = [];
          await runJobs(
            [
              {
                id: 'a',
                command: 'test "$PWD" = "$D" && test "$1" = "two words" && exit 7',
                args: ['two words'],
                cwd: dir,
                env: { D: dir },
              },
              { id: 'b', command: 'no-such-command-here', cwd: dir },
            ],
            { executor: executorOf({ output: 'ignore' }), onEvent: (e) => events.push(e) },
          ).summary;
          const ends = events.flatMap((e) => (e.type === 'finished' ? [[e.job.id, e.exitCode]] : []));
          expect(ends.sort()).toEqual([
            ['a', 7],
            ['b', 127],
          ]);
        });

        it('terminates the whole process group on abort', async () => {
          const controller = new AbortController();
          const pidFile = join(dir, 'pid');
          const run = runJobs([{ id: 'a', command: `sleep 30 & echo $! > "${pidFile}"; wait` }], {
            executor: executorOf(),
            signal: controller.signal,
            killGraceMs: 2000,
          });
          for await (const e of run) {
            if (e.type === 'started') {
              while (!(await readFile(pidFile, 'utf8').catch(() => '')))
                await new Promise((r) => setTimeout(r, 10));
              controller.abort();
            }
          }
          const grandchild = Number(await readFile(pidFile, 'utf8'));
          expect((await run.summary).failed).toBe(1);
          for (let i = 0; i < 100 && (await alive(grandchild)); i++)
            await new Promise((r) => setTimeout(r, 10));
          expect(await alive(grandchild)).toBe(false);
        });

        it('a job whose cwd is missing fails with exit 127 and the others run', async () => {
          const summary = await runJobs(
            [
              { id: 'a', command: 'true', cwd: join(dir, 'missing') },
              { id: 'b', command: 'true', cwd: dir },
            ],
            { executor: executorOf({ output: 'ignore' }) },
          ).summary;
          expect(summary).toMatchObject({ succeeded: 1, failed: 1, failedJobs: ['a'] });
        });

        it('reports the signal that killed a job', async () => {
          const events: SchedulerEvent[] = [];
          await runJobs([{ id: 'k', command: 'kill -KILL $$' }], {
            executor: executorOf(),
            onEvent: (e) => events.push(e),
          }).summary;
          expect(events.find((e) => e.type === 'finished')).toMatchObject({
            exitCode: null,
            signal: 'SIGKILL',
            ok: false,
          });
        });
      },
    );
  }
});

describe('statusFileStore', () => {
  const job = (id: string) => ({ id, cwd: dir });

  it('writes mm.status as mm.pl does (LAST_TRIED the start while running, the end once ended; the PID stays) and the full records to mm.status.json', async () => {
    const store = statusFileStore();
    const started = recordStarted(undefined, 'a:gnu tools', 1_700_000_000_500, 42);
    await store.write(job('a:gnu tools'), started);
    expect(await readFile(join(dir, 'mm.status'), 'utf8')).toBe('a:gnu tools 1700000000 0 l 42\n');
    const done = recordFinished(job('a:gnu tools'), started, 1_700_000_009_000, {
      exitCode: 1,
      signal: null,
      ok: false,
    });
    await store.write(job('a:gnu tools'), done);
    expect(await readFile(join(dir, 'mm.status'), 'utf8')).toBe('a:gnu tools 1700000009 256 u 42\n');
    const json = JSON.parse(await readFile(join(dir, 'mm.status.json'), 'utf8'));
    expect(json.jobs['a:gnu tools']).toMatchObject({
      lastEnded: 1_700_000_009_000,
      lastExitCode: 1,
      consecutiveFailures: 1,
    });
    expect(await statusFileStore().read(job('a:gnu tools'))).toEqual(done);
  });

  it('keeps garbage lines and every entry after them; reads lines written by the original mm', async () => {
    await writeFile(
      join(dir, 'mm.status'),
      'a:1 100 0 u 0\n!!garbage here\nb:2 200 256 u 0\nc:3 300 0 u 0\n',
    );
    const store = statusFileStore();
    expect(await store.read(job('b:2'))).toMatchObject({ lastStarted: 200_000, lastOk: false });
    await store.write(job('b:2'), {
      id: 'b:2',
      lastStarted: 900_000,
      lastEnded: 900_100,
      lastOk: true,
      consecutiveFailures: 0,
    });
    expect(await readFile(join(dir, 'mm.status'), 'utf8')).toBe(
      'a:1 100 0 u 0\n!!garbage here\nb:2 900 0 u 0\nc:3 300 0 u 0\n',
    );
    expect([...(await store.readAll(dir)).keys()]).toEqual(['a:1', 'b:2', 'c:3']);
  });

  it('flush() writes a waiting batch at once instead of after the batch window', async () => {
    const store = statusFileStore({ batchMs: 60_000 });
    const record = { id: 'f:1', lastStarted: 5000, lastEnded: 6000, lastOk: true, consecutiveFailures: 0 };
    const written = store.write(job('f:1'), record);
    store.flush?.();
    const outcome = await Promise.race([
      written.then(() => 'written'),
      new Promise((resolve) => setTimeout(resolve, 4000, 'still waiting')),
    ]);
    expect(outcome).toBe('written');
    expect(await readFile(join(dir, 'mm.status'), 'utf8')).toBe('f:1 6 0 u 0\n');
  });

  it('a run ends without waiting out the batch window: the scheduler flushes once nothing runs', async () => {
    const store = statusFileStore({ home: dir, batchMs: 60_000 });
    const jobs = Array.from({ length: 3 }, (_, i) => ({ id: `r:${i}`, command: 'true', cwd: dir }));
    const summary = runJobs(jobs, { max: 2, store, executor: shellExecutor({ output: 'ignore' }) }).summary;
    const outcome = await Promise.race([
      summary.then((s) => s.succeeded),
      new Promise((resolve) => setTimeout(resolve, 4000, 'still waiting')),
    ]);
    expect(outcome).toBe(3);
    const lines = (await readFile(join(dir, 'mm.status'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual(['r:0', 'r:1', 'r:2']);
  });

  it('batches concurrent writes and never leaves temporary files', async () => {
    const store = statusFileStore();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.write(job(`s:${i}`), {
          id: `s:${i}`,
          lastStarted: i * 1000,
          lastEnded: i * 1000,
          lastOk: true,
          consecutiveFailures: 0,
        }),
      ),
    );
    const lines = (await readFile(join(dir, 'mm.status'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(50);
    expect((await readdir(dir)).sort()).toEqual(['mm.status', 'mm.status.json']);
  });
});

describe('nodeConfigHost', () => {
  it('resolves home= and reads cmdin= output; a missing home is an error', async () => {
    await mkdir(join(dir, 'sub'));
    const text = `home=${dir}\nhome=sub\ncmdin=printf 'x:y 1 1\\n'\nhome=nope\n`;
    const plan = await loadConfig([{ name: 'c', text }], nodeConfigHost, { home: '/' });
    expect(plan.jobs.map((j) => [j.id, j.cwd])).toEqual([['x:y', join(dir, 'sub')]]);
    expect(plan.diagnostics.map((d) => `${d.line} ${d.message}`)).toEqual([
      `4 home=nope: no such directory: ${join(dir, 'sub', 'nope')}; nothing after it is read`,
    ]);
  });
});

describe('the fork server dying', () => {
  it('a job still counts as running until its process is gone', async () => {
    const events: SchedulerEvent[] = [];
    const run = runJobs([{ id: 'a', command: 'sleep 0.6', cwd: dir }], {
      executor: forkServerExecutor(),
      onEvent: (e) => events.push(e),
    });
    let pid = 0;
    for await (const e of run) {
      if (e.type !== 'started') continue;
      pid = e.pid!;
      // The helper is the job's parent: kill it, as an outside SIGKILL would.
      const helper = Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[1]);
      process.kill(helper, 'SIGKILL');
    }
    const finished = events.find((e) => e.type === 'finished')!;
    expect(finished).toMatchObject({ ok: false, error: expect.stringContaining('exit status unknown') });
    expect(finished.at - events.find((e) => e.type === 'started')!.at).toBeGreaterThanOrEqual(500);
    expect(await alive(pid)).toBe(false);
  });
});

describe('the fork server under churn', () => {
  it('reports the end of every one of 300 short jobs (no exit is missed)', async () => {
    const jobs = Array.from({ length: 300 }, (_, i) => ({
      id: `j${i}`,
      command: i % 2 ? 'true' : 'exit 3',
      cwd: dir,
    }));
    const summary = await runJobs(jobs, {
      max: 6,
      executor: forkServerExecutor({ output: 'ignore' }),
    }).summary;
    expect(summary).toMatchObject({ started: 300, succeeded: 150, failed: 150 });
  });
});

describe('the fork server standing by', () => {
  it('starts the next job the moment one ends when every slot is taken: never more than max at once, in plan order', async () => {
    const real = forkServerExecutor({ output: 'ignore' });
    let standbys = 0;
    const executor = {
      start: real.start,
      standby: (...args: Parameters<NonNullable<typeof real.standby>>) => {
        standbys += 1;
        return real.standby!(...args);
      },
    };
    const jobs = Array.from({ length: 12 }, (_, i) => ({ id: `j${i}`, command: 'sleep 0.05', cwd: dir }));
    const events: SchedulerEvent[] = [];
    const summary = await runJobs(jobs, { max: 3, executor, onEvent: (e) => events.push(e) }).summary;
    expect(summary).toMatchObject({ started: 12, succeeded: 12, failed: 0 });
    expect(summary.maxRunning).toBeLessThanOrEqual(3);
    expect(standbys).toBeGreaterThan(0);
    let running = 0;
    let most = 0;
    for (const e of events) {
      if (e.type === 'started') running += 1;
      if (e.type === 'finished') running -= 1;
      most = Math.max(most, running);
    }
    expect(most).toBe(3);
    expect(events.filter((e) => e.type === 'started').map((e) => e.job.id)).toEqual(jobs.map((j) => j.id));
  });

  it('an abort withdraws the jobs standing by: they are skipped as aborted and never start', async () => {
    const controller = new AbortController();
    const jobs = Array.from({ length: 8 }, (_, i) => ({
      id: `j${i}`,
      command: 'touch "started-$$"; sleep 5',
      cwd: dir,
    }));
    const run = runJobs(jobs, {
      max: 2,
      executor: forkServerExecutor(),
      signal: controller.signal,
      killGraceMs: 500,
    });
    let started = 0;
    const begun = Date.now();
    for await (const e of run) {
      if (e.type === 'started' && ++started === 2) {
        // Let the next jobs reach the helper as standby requests first.
        await new Promise((resolve) => setTimeout(resolve, 200));
        controller.abort();
      }
    }
    const summary = await run.summary;
    expect(summary).toMatchObject({ started: 2, aborted: true });
    expect(summary.skipped.aborted).toBe(6);
    expect(Date.now() - begun).toBeLessThan(4000);
    expect((await readdir(dir)).filter((f) => f.startsWith('started-'))).toHaveLength(2);
  });
});

describe('statusFileStore refusing what it cannot keep', () => {
  it('with a missing home, refuses every job before it starts (no job runs unrecorded)', async () => {
    const home = join(dir, 'no', 'such');
    const store = statusFileStore({ home });
    const events: SchedulerEvent[] = [];
    const summary = await runJobs(
      [
        { id: 'a:1', command: 'touch ran' },
        { id: 'a:2', command: 'touch ran' },
      ],
      {
        store,
        executor: shellExecutor({ output: 'ignore' }),
        onEvent: (e) => events.push(e),
        ignoreTimers: true,
      },
    ).summary;
    expect(summary).toMatchObject({ started: 0, failed: 2 });
    expect(events.filter((e) => e.type === 'error').map((e) => (e as { message: string }).message)).toEqual([
      `cannot use ${join(home, 'mm.status')}: no such directory: ${home}`,
      `cannot use ${join(home, 'mm.status')}: no such directory: ${home}`,
    ]);
  });

  it('names an mm.status that is a directory instead of failing with a bare EISDIR', async () => {
    await mkdir(join(dir, 'mm.status'));
    await expect(statusFileStore().read({ id: 'a:1', cwd: dir })).rejects.toThrow(
      `cannot read ${join(dir, 'mm.status')}: it is a directory`,
    );
  });
});

describe('nodeConfigHost running cmdin=', () => {
  it('reads the output whatever the exit status (as mm.pl does) and warns about the status', async () => {
    const warnings: string[] = [];
    const out = await nodeConfigHost.readCommandOutput('echo a:1 0 0; exit 3', dir, {
      onWarning: (w) => warnings.push(w),
    });
    expect(out).toBe('a:1 0 0\n');
    expect(warnings).toEqual(['exited with status 3; its output is read all the same, as mm.pl does']);
  });

  it('stops a command that ignores SIGTERM with SIGKILL after the grace period when the signal aborts', async () => {
    const controller = new AbortController();
    const reading = nodeConfigHost.readCommandOutput(
      `echo $$ > ${join(dir, 'pid')}; trap '' TERM; sleep 30`,
      dir,
      { signal: controller.signal, killGraceMs: 300 },
    );
    const outcome = reading.then(
      () => 'read',
      (e: Error) => e.message,
    );
    let pid = 0;
    while (!pid) {
      pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => '0'));
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    expect(await outcome).toMatch(/^stopped \(SIGKILL\)/);
    expect(await alive(pid)).toBe(false);
  });
});
