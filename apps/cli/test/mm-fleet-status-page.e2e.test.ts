// The fleet's status page, /jobs and /metrics from its PostgreSQL state: two real workers, a real database, the
// page served by `mm serve --fleet` and written by `mm --status --html FILE --fleet`; promtool checks /metrics.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetSkipReason, TestPostgres } from '../../../packages/mirror-scheduler/test/fleet/postgres.js';
import { peerPath, skipWithoutPeers } from './_peers.js';
import { bin, tool } from './_support.js';

const skip = fleetSkipReason();
const noPromtool = skipWithoutPeers(['promtool']);

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(args: readonly string[], cwd: string): Proc {
  const child = spawn(process.execPath, [bin('mm'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

interface Row {
  id: string;
  state: string;
  reason: string;
}

/** The job rows of the page: each `<tr>` of the jobs table with its id, state and reason cells. */
function jobRows(html: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  const unescapeHtml = (t: string) =>
    t
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  for (const m of html.matchAll(
    /<tr id="[^"]*" class="(\w+)"><th scope="row">([^<]*)<\/th><td class="state"><b>(\w+)<\/b><\/td><td class="reason">([^<]*)<\/td>/g,
  )) {
    expect(m[1]).toBe(m[3]);
    rows.set(unescapeHtml(m[2]!), { id: unescapeHtml(m[2]!), state: m[3]!, reason: unescapeHtml(m[4]!) });
  }
  return rows;
}

/** The fleet section's worker rows: name, host, pid, state, and the text of what it runs. */
function workerRows(html: string) {
  const section = /<section id="fleet">([\s\S]*?)<\/section>/.exec(html)?.[1];
  expect(section, 'the page has a fleet section').toBeDefined();
  const heading = /<h2>([^<]*)<\/h2>/.exec(section!)?.[1];
  const workers = [
    ...section!.matchAll(
      /<tr class="(\w+)"><th scope="row">([^<]*)<\/th><td>([^<]*)<\/td><td>(\d+)<\/td><td class="state"><b>(\w+)<\/b><\/td><td class="heartbeat"><time datetime="([^"]+)">([^<]*)<\/time><\/td><td>(\d+)\/(\d+)<\/td><td class="runs"><ul>(.*?)<\/ul><\/td><\/tr>/g,
    ),
  ].map((m) => ({
    worker: m[2]!,
    host: m[3]!,
    pid: Number(m[4]),
    state: m[5]!,
    heartbeat: m[6]!,
    age: m[7]!,
    jobs: Number(m[8]),
    max: Number(m[9]),
    runs: m[10]!.replace(/<[^>]+>/g, ''),
  }));
  return { heading, workers };
}

describe.skipIf(skip !== undefined)(
  `the fleet's status page, /jobs and /metrics on a real PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let pg: TestPostgres;
    let home: string;
    const procs: Proc[] = [];
    let serve: Proc;
    let url: string;

    beforeAll(async () => {
      pg = await TestPostgres.create();
      home = await mkdtemp(join(tmpdir(), 'mm-fleet-page-'));
      await writeFile(
        join(home, 'job.sh'),
        'case "$1" in run.example) exec sleep 60;; fail.example) echo broken >&2; exit 3;; *) exit 0;; esac\n',
      );
      await writeFile(
        join(home, 'mm.conf'),
        [
          'mirror=exec sh ./job.sh "$site" "$package"',
          'ok.example:done 24 1',
          'fail.example:bad 24 1',
          'run.example:slow 0 0',
          'later.example:next 0 0',
          '',
        ].join('\n'),
      );
      // Global limit 1 throughout: the done and bad jobs run one after the other, and while the slow one runs
      // the next one stays in the queue.
      const plan = (only: string) =>
        tool('mm', ['--fleet', pg.url, '--max', '1', '-o', only, 'mm.conf'], { cwd: home });
      expect((await plan('^(ok|fail)\\.example:')).code).toBe(0);
      for (let i = 0; i < 2; i++)
        procs.push(start(['worker', '--fleet', pg.url, '--max', '2', '--lease', '5'], home));
      const status = async () =>
        JSON.parse((await tool('mm', ['--status', '--json', '--fleet', pg.url], { cwd: home })).stdout) as {
          jobs: { id: string; record: { lastOk?: boolean }; running?: unknown }[];
          workers: { worker: string }[];
        };
      await until('the done and bad jobs to finish', async () => {
        const s = await status();
        const done = s.jobs.find((j) => j.id === 'ok.example:done')?.record.lastOk === true;
        const bad = s.jobs.find((j) => j.id === 'fail.example:bad')?.record.lastOk === false;
        return done && bad && s.workers.length === 2 ? true : undefined;
      });
      expect((await plan('^run\\.example:')).code).toBe(0);
      await until('the slow job to run', async () =>
        (await status()).jobs.find((j) => j.id === 'run.example:slow')?.running ? true : undefined,
      );
      const queued = await plan('^later\\.example:');
      expect(queued.stdout).toContain('mm: later.example:next: queued in the fleet\n');
      serve = start(['serve', '--fleet', pg.url, '--listen', '127.0.0.1:0'], home);
      procs.push(serve);
      url = await until('mm serve to listen', async () => {
        const m = /serving the fleet at \S+ at (http:\/\/\S+\/) /.exec(serve.output());
        return m?.[1];
      });
    }, 120_000);

    afterAll(async () => {
      for (const p of procs) p.child.kill('SIGTERM');
      const codes = await Promise.all(procs.map((p) => p.exited));
      await pg?.destroy();
      if (home) await rm(home, { recursive: true, force: true });
      expect(codes.every((c) => c === 0)).toBe(true);
    });

    it('serves a page whose rows give each job its state and reason: running on worker W pid P with fence F, failing, queued, waiting for its timer', async () => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      const rows = jobRows(html);
      expect([...rows.keys()]).toEqual([
        'fail.example:bad',
        'run.example:slow',
        'later.example:next',
        'ok.example:done',
      ]);
      expect(rows.get('run.example:slow')!.reason).toMatch(
        /^running on worker \S+ pid \d+ since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ with fence \d+$/,
      );
      expect(rows.get('fail.example:bad')).toMatchObject({ state: 'failing' });
      expect(rows.get('fail.example:bad')!.reason).toMatch(
        /^failing once \(last exit 3\); retry after \S+Z$/,
      );
      expect(rows.get('later.example:next')).toMatchObject({ state: 'queued' });
      expect(rows.get('later.example:next')!.reason).toMatch(
        /^queued since \S+Z, waiting for a worker and a slot$/,
      );
      expect(rows.get('ok.example:done')).toMatchObject({ state: 'waiting' });
      expect(rows.get('ok.example:done')!.reason).toMatch(/^waiting for its timer until \S+Z$/);
      // The header's counts link to where their rows begin.
      expect(html).toContain(
        '<li id="running" class=""><a href="#state-running"><b>1/1</b> running</a></li>',
      );
      expect(html).toContain(
        '<li id="failing" class="alert"><a href="#state-failing"><b>1</b> failing</a></li>',
      );
    });

    it('lists the two workers with their last heartbeat and what each runs, the slow job with its pid and fence', async () => {
      const html = await (await fetch(url)).text();
      const { heading, workers } = workerRows(html);
      expect(heading).toBe('Fleet: 2 of 2 workers alive, 1 queued; slots global 1/1');
      expect(workers).toHaveLength(2);
      const status = JSON.parse(
        (await tool('mm', ['--status', '--json', '--fleet', pg.url], { cwd: home })).stdout,
      ) as {
        workers: { worker: string; pid: number; running: { jobId: string; fence: number; pid: number }[] }[];
      };
      const pids = new Set(procs.slice(0, 2).map((p) => p.child.pid));
      for (const w of workers) {
        expect(w.state).toBe('alive');
        expect(pids.has(w.pid)).toBe(true);
        expect(w.max).toBe(2);
        expect(Date.now() - Date.parse(w.heartbeat)).toBeLessThan(15_000);
        expect(w.age).toMatch(/^\d+s ago$/);
      }
      const runner = status.workers.find((w) => w.running.length === 1)!;
      const lease = runner.running[0]!;
      expect(lease.jobId).toBe('run.example:slow');
      const shown = workers.find((w) => w.worker === runner.worker)!;
      expect(shown.jobs).toBe(1);
      expect(shown.runs).toMatch(
        new RegExp(
          `^run\\.example:slow \\(pid ${lease.pid}, fence ${lease.fence}, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\)$`,
        ),
      );
      expect(workers.find((w) => w.worker !== runner.worker)!.runs).toBe('nothing');
      const row = jobRows(html).get('run.example:slow')!;
      expect(row.reason).toContain(`on worker ${runner.worker} pid ${lease.pid} `);
      expect(row.reason).toMatch(new RegExp(`with fence ${lease.fence}$`));
    });

    it('serves /jobs as tunasync does: syncing, failed, pre-syncing for the queued job, with mm reasons', async () => {
      const jobs = (await (await fetch(`${url}jobs`)).json()) as {
        name: string;
        status: string;
        state: string;
        reason: string;
        consecutive_failures: number;
        last_result: string | null;
      }[];
      const by = Object.fromEntries(jobs.map((j) => [j.name, j]));
      expect(by['run.example:slow']).toMatchObject({ status: 'syncing', state: 'running' });
      expect(by['run.example:slow']!.reason).toMatch(/^running on worker /);
      expect(by['fail.example:bad']).toMatchObject({
        status: 'failed',
        state: 'failing',
        consecutive_failures: 1,
        last_result: 'failed',
      });
      expect(by['later.example:next']).toMatchObject({ status: 'pre-syncing', state: 'queued' });
      expect(by['ok.example:done']).toMatchObject({ status: 'success', state: 'waiting', last_result: 'ok' });
    });

    it.skipIf(noPromtool)(
      "serves /metrics that promtool accepts, with the jobs' series and the fleet's (workers, heartbeats, leases)",
      async () => {
        const res = await fetch(`${url}metrics`);
        expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
        const text = await res.text();
        const check = spawnSync(peerPath('promtool'), ['check', 'metrics'], {
          input: text,
          encoding: 'utf8',
        });
        expect(check.stdout + check.stderr).toBe('');
        expect(check.status).toBe(0);
        expect(text).toContain('mm_slots_used 1\n');
        expect(text).toContain('mm_slots_limit 1\n');
        expect(text).toContain('mm_jobs{state="queued"} 1\n');
        expect(text).toContain('mm_job_consecutive_failures{job="fail.example:bad"} 1\n');
        expect(text).toContain('mm_job_runs_total{job="ok.example:done",result="ok"} 1\n');
        expect(text).toContain('mm_fleet_workers_alive 2\n');
        expect(text).toContain('mm_fleet_queued_jobs 1\n');
        expect(text).toContain('mm_fleet_slots_used{scope="global"} 1\n');
        expect(text).toMatch(
          /^mm_fleet_job_running\{job="run\.example:slow",worker="[^"]+",fence="\d+"\} 1$/m,
        );
        expect(text.match(/^mm_fleet_worker_heartbeat_age_seconds\{worker="[^"]+"\} [\d.]+$/gm)).toHaveLength(
          2,
        );
      },
    );

    it('mm --status --html FILE --fleet URL writes the same page to FILE', async () => {
      const file = join(home, 'fleet.html');
      const written = await tool('mm', ['--status', '--html', file, '--fleet', pg.url], { cwd: home });
      expect(written.stderr).toBe('');
      expect(written.code).toBe(0);
      const html = await readFile(file, 'utf8');
      expect(html.endsWith('</html>\n')).toBe(true);
      expect(html).toContain('<title>Mirror status</title>');
      expect(html).toContain('<section id="fleet">');
      const rows = jobRows(html);
      expect(rows.get('run.example:slow')!.reason).toMatch(
        /^running on worker \S+ pid \d+ since \S+ with fence \d+$/,
      );
      expect(rows.get('later.example:next')!.state).toBe('queued');
      expect(workerRows(html).workers).toHaveLength(2);
      // Without FILE: to standard output.
      const printed = await tool('mm', ['--status', '--html', '--fleet', pg.url], { cwd: home });
      expect(printed.code).toBe(0);
      expect(printed.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(jobRows(printed.stdout).get('fail.example:bad')!.state).toBe('failing');
    });

    it('mm serve --fleet refuses a URL that is not postgres:// and configuration files, with a usage message', async () => {
      const bad = await tool('mm', ['serve', '--fleet', 'http://x', '--listen', '127.0.0.1:0'], {
        cwd: home,
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('mm serve: --fleet http://x: not a postgres:// URL\n');
      const files = await tool('mm', ['serve', '--fleet', pg.url, 'mm.conf'], { cwd: home });
      expect(files.code).toBe(2);
      expect(files.stderr).toContain('mm serve --fleet takes no configuration files');
    });
  },
);
