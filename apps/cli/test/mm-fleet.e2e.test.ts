import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetSkipReason, TestPostgres } from '../../../packages/mirror-scheduler/test/fleet/postgres.js';
import { bin, tool } from './_support.js';

const skip = fleetSkipReason();

/** `mm worker` as a real process; its stdout is collected. */
function worker(
  url: string,
  cwd: string,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin('mm'), 'worker', '--fleet', url, '--max', '2', '--lease', '2'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe.skipIf(skip !== undefined)(
  `mm --fleet on a real PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let pg: TestPostgres;
    let home: string;
    beforeAll(async () => {
      pg = await TestPostgres.create();
      home = await mkdtemp(join(tmpdir(), 'mm-fleet-cli-'));
    });
    afterAll(async () => {
      await pg?.destroy();
      if (home) await rm(home, { recursive: true, force: true });
    });

    it("runs the demo's mirrors with two workers: mm --fleet queues, mm worker runs, mm --status --fleet shows who ran what", async () => {
      for (const [site, pkg, file] of [
        ['ftp.example.org', 'gnu tools', 'hello.c'],
        ['ftp.example.org', 'x11', 'xterm.c'],
        ['mirror.test', 'docs', 'README'],
      ] as const) {
        await mkdir(join(home, 'remote', site, pkg), { recursive: true });
        await writeFile(join(home, 'remote', site, pkg, file), `${site} ${pkg}\n`);
      }
      const config = [
        'max=2',
        'mirror=mkdir -p "mirror/$site/$package" && cp -R "remote/$site/$package/." "mirror/$site/$package/" > logs/$site:$pkg 2>&1',
        'ftp.example.org:gnu tools 24 2',
        'ftp.example.org:x11 24 2',
        'mirror.test:docs 24 2',
        'cmd=echo done > logs/summary',
        '',
      ].join('\n');
      await writeFile(join(home, 'mm.conf'), config);
      const planned = await tool('mm', ['--fleet', pg.url, '--site-max', '1', 'mm.conf'], { cwd: home });
      expect(planned.code).toBe(0);
      expect(planned.stdout).toContain('mm: ftp.example.org:gnu tools: queued in the fleet\n');
      expect(planned.stdout).toContain(
        'mm: fleet: 3 queued, 0 already queued or running, 0 not due (max 2, 1 per site)\n',
      );
      expect(planned.stderr).toContain(
        'mm.conf:6: warning: cmd=echo done > logs/summary is not run by the fleet',
      );
      // Planned twice before anything ran: the exclusive queue holds one job per site:package.
      const twice = await tool('mm', ['--fleet', pg.url, '--site-max', '1', 'mm.conf'], { cwd: home });
      expect(twice.stdout).toContain('mm: fleet: 0 queued, 3 already queued or running');

      const workers = [worker(pg.url, home), worker(pg.url, home)];
      try {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const s = await tool('mm', ['--status', '--json', '--fleet', pg.url], { cwd: home });
          const status = JSON.parse(s.stdout) as {
            jobs: { id: string; record: { lastOk?: boolean } }[];
            workers: unknown[];
          };
          if (status.jobs.filter((j) => j.record.lastOk).length === 3 && status.workers.length === 2) break;
          if (status.jobs.some((j) => j.record.lastOk === false))
            throw new Error(`a mirror failed: ${s.stdout}`);
          if (Date.now() > deadline) throw new Error(`not done: ${s.stdout}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(await readFile(join(home, 'mirror', 'ftp.example.org', 'gnu tools', 'hello.c'), 'utf8')).toBe(
          'ftp.example.org gnu tools\n',
        );
        expect(await readFile(join(home, 'mirror', 'mirror.test', 'docs', 'README'), 'utf8')).toBe(
          'mirror.test docs\n',
        );
        const text = await tool('mm', ['--status', '--fleet', pg.url], { cwd: home });
        expect(text.code).toBe(0);
        expect(text.stdout).toMatch(
          /^mm fleet: 2 workers alive, 0 queued; limits: global 0\/2, site:ftp\.example\.org 0\/1, site:mirror\.test 0\/1\n/,
        );
        expect(text.stdout).toMatch(/^WORKER +HOST +PID +MAX +HEARTBEAT +STATE +RUNNING$/m);
        expect(text.stdout).toMatch(/^ftp\.example\.org:gnu tools +ok +\S+Z +\S+Z +0 +-$/m);
        // Their timers hold them back now.
        const again = await tool('mm', ['--fleet', pg.url, 'mm.conf'], { cwd: home });
        expect(again.stdout).toContain('mm: fleet: 0 queued, 0 already queued or running, 3 not due');
        expect(again.stdout).toContain('mm: mirror.test:docs: skipped (timer)');
        const why = await tool('mm', ['--fleet', pg.url, '--why', 'mirror.test:docs', 'mm.conf'], {
          cwd: home,
        });
        expect(why.code).toBe(0);
        expect(why.stdout).toMatch(
          /^mm: mirror\.test:docs: skipped \(timer\): last run succeeded, ended at \S+; eligible again at /m,
        );
        expect(why.stdout).not.toContain('ftp.example.org');
      } finally {
        for (const w of workers) w.child.kill('SIGTERM');
      }
      const codes = await Promise.all(workers.map((w) => w.exited));
      expect(codes).toEqual([0, 0]);
      const all = workers.map((w) => w.output()).join('');
      expect(all.match(/: done in /g)).toHaveLength(3);
      expect(all).toMatch(
        /mm: worker \S+: \d ran, \d succeeded, 0 failed, 0 lost their lease; stopped by SIGTERM/,
      );
    });

    it('mm --cancel stops a running job on its worker; mm --cancel of an unknown job exits 1', async () => {
      await writeFile(join(home, 'slow.conf'), 'mirror=exec sleep 30\nslow.example:big 0 0\n');
      expect((await tool('mm', ['--fleet', pg.url, 'slow.conf'], { cwd: home })).code).toBe(0);
      const w = worker(pg.url, home);
      try {
        const deadline = Date.now() + 20_000;
        while (!w.output().includes('slow.example:big: started')) {
          if (Date.now() > deadline) throw new Error(w.output());
          await new Promise((r) => setTimeout(r, 100));
        }
        const cancel = await tool('mm', ['--cancel', 'slow.example:big', '--fleet', pg.url], { cwd: home });
        expect(cancel.code).toBe(0);
        expect(cancel.stderr).toContain('mm: slow.example:big: cancelled');
        while (!w.output().includes('slow.example:big: FAILED: killed by SIGTERM')) {
          if (Date.now() > deadline) throw new Error(w.output());
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        w.child.kill('SIGTERM');
        await w.exited;
      }
      const none = await tool('mm', ['--cancel', 'no.such:job', '--fleet', pg.url], { cwd: home });
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('mm: no.such:job: neither queued nor running in the fleet');
    });
  },
);
