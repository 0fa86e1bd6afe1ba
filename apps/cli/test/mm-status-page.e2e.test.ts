// The status page, /jobs and /metrics of a real home: mm runs jobs, one is still running, another's lock is held
// by this test; `mm serve` serves them; Debian's chromium (through playwright-core) reads the page as a user
// does; Prometheus' promtool checks /metrics.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquire, type LockHandle } from '@suite/lockfile/node';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerPath, skipWithoutPeers } from './_peers.js';
import { bin, tool } from './_support.js';

const CHROMIUM = peerPath('chromium');
const PROMTOOL = peerPath('promtool');
const noBrowser = skipWithoutPeers(['chromium']);
const noPromtool = skipWithoutPeers(['promtool']);

/** Where test artifacts (the screenshot) go: apps/cli/.test-artifacts/, ignored by git. */
const ARTIFACTS = fileURLToPath(new URL('../.test-artifacts/', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(25);
  }
}

/** Starts `mm ARGS` in `cwd` in the background; resolves its first stdout line (serve prints its address). */
function background(
  cwd: string,
  args: string[],
): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [bin('mm'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let errText = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    errText += d;
  });
  return { child, stdout: () => out, stderr: () => errText };
}

async function serve(cwd: string, config: string) {
  const server = background(cwd, ['serve', '--listen', '127.0.0.1:0', config]);
  await until(() => /http:\/\/127\.0\.0\.1:\d+\//.test(server.stdout()));
  const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(server.stdout())![0];
  return { ...server, url };
}

const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
};

describe('mm status page, /jobs and /metrics of a home with a running, a failing, a locked and a waiting job', () => {
  let home: string;
  let running: ReturnType<typeof background>;
  let server: Awaited<ReturnType<typeof serve>>;
  let held: LockHandle;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'mm-page-'));
    await writeFile(
      join(home, 'mm.conf'),
      [
        'max=3',
        `mirror=case "$package" in failing) exit 3;; running) exec sleep 60;; esac; exit 0`,
        'w:waiting 8 1',
        'f:failing 8 1',
        'r:running 8 1',
        'l:locked 8 1',
        '',
      ].join('\n'),
    );
    const first = await tool('mm', ['--verbose', '-o', '^(w:waiting|f:failing)$', 'mm.conf'], {
      cwd: home,
    });
    expect(first.stdout).toContain('1 succeeded, 1 failed');
    await mkdir(join(home, 'mm.locks'), { recursive: true });
    held = await acquire(join(home, 'mm.locks', encodeURIComponent('l:locked')), { timeout: 0 });
    running = background(home, ['--verbose', '-o', 'r:running', 'mm.conf']);
    await until(() => running.stdout().includes('r:running: started'));
    // Its start is recorded while it runs (the status store batches writes for a few ms).
    await until(async () =>
      /^r:running \d+ 0 l \d+$/m.test(await readFile(join(home, 'mm.status'), 'utf8').catch(() => '')),
    );
    server = await serve(home, 'mm.conf');
  }, 60_000);

  afterAll(async () => {
    if (server) await stop(server.child);
    if (running) await stop(running.child);
    await held?.release();
    await rm(home, { recursive: true, force: true });
  });

  it.skipIf(noBrowser)(
    'shows each job with its state and reason in a real browser, without JavaScript, and saves a screenshot',
    async () => {
      const profile = await mkdtemp(join(tmpdir(), 'mm-chromium-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        javaScriptEnabled: false,
        viewport: { width: 1280, height: 420 },
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        const response = await page.goto(server.url);
        expect(response?.status()).toBe(200);
        const rows = await page.locator('tbody tr').evaluateAll((trs) =>
          trs.map((tr) => ({
            job: tr.querySelector('th')?.textContent,
            state: tr.querySelector('td.state')?.textContent,
            reason: tr.querySelector('td.reason')?.textContent,
          })),
        );
        const pid = running.child.pid;
        expect(rows.map((r) => [r.job, r.state])).toEqual([
          ['f:failing', 'failing'],
          ['l:locked', 'locked'],
          ['r:running', 'running'],
          ['w:waiting', 'waiting'],
        ]);
        const reason = Object.fromEntries(rows.map((r) => [r.job, r.reason]));
        expect(reason['f:failing']).toMatch(
          /^failing once \(last exit 3\); retry after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
        );
        expect(reason['l:locked']).toMatch(
          new RegExp(`^locked by pid ${process.pid} on host ${hostname()} since \\S+Z$`),
        );
        expect(reason['r:running']).toMatch(
          new RegExp(`^running since \\S+Z \\(pid \\d+ on host ${hostname()}\\)$`),
        );
        expect(reason['w:waiting']).toMatch(/^waiting for its timer until \S+Z$/);
        expect(pid).toBeDefined();
        expect(await page.locator('#running').textContent()).toBe('1/3 running');
        expect(await page.locator('#failing').textContent()).toBe('1 failing');
        const waitingAge = page.locator('tr.waiting td.age');
        expect(await waitingAge.getAttribute('class')).toBe('age fresh');
        expect(await page.locator('tr.failing .strip i').count()).toBe(1);
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'mm-status-page.png'), fullPage: true });
      } finally {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      }
    },
  );

  it('serves /jobs as a superset of tunasync: name, status, last_update, last_started, last_ended, next_schedule, size', async () => {
    const res = await fetch(`${server.url}jobs`);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const jobs = (await res.json()) as Record<string, unknown>[];
    const by = Object.fromEntries(jobs.map((j) => [j.name, j]));
    for (const j of jobs)
      for (const field of [
        'name',
        'status',
        'last_update',
        'last_update_ts',
        'last_started',
        'last_started_ts',
        'last_ended',
        'last_ended_ts',
        'next_schedule',
        'next_schedule_ts',
        'size',
      ])
        expect(j).toHaveProperty(field);
    expect(by['r:running']).toMatchObject({ status: 'syncing', state: 'running' });
    expect(by['l:locked']).toMatchObject({ status: 'syncing', state: 'locked' });
    expect(by['f:failing']).toMatchObject({ status: 'failed', consecutive_failures: 1, last_update_ts: 0 });
    expect(by['w:waiting']).toMatchObject({
      status: 'success',
      ok_interval: 8 * 3600,
      failed_interval: 3600,
    });
    expect((by['w:waiting']!.last_update as string).endsWith(' +0000')).toBe(true);
  });

  it.skipIf(noPromtool)(
    'serves /metrics that promtool check metrics accepts, with slots used and the limit',
    async () => {
      const res = await fetch(`${server.url}metrics`);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
      expect(text).toContain('mm_slots_used 1\n');
      expect(text).toContain('mm_slots_limit 3\n');
      expect(text).toContain('mm_job_runs_total{job="f:failing",result="failed"} 1\n');
      expect(text).toContain('mm_job_consecutive_failures{job="f:failing"} 1\n');
    },
  );

  it('is read-only: POST is refused, and serving starts no job', async () => {
    const res = await fetch(`${server.url}jobs`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect((await fetch(`${server.url}nope`)).status).toBe(404);
    const history = await readFile(join(home, 'mm.history.jsonl'), 'utf8');
    expect(history).not.toContain('"l:locked"');
    expect(history).not.toContain('"r:running"');
  });

  it('mm --status --html FILE writes the page atomically: a reader never sees half a page', async () => {
    const page = join(home, 'status.html');
    let reads = 0;
    let torn = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const text = await readFile(page, 'utf8').catch(() => undefined);
        if (text !== undefined) {
          reads += 1;
          if (!text.endsWith('</html>\n')) torn += 1;
        }
        await sleep(1);
      }
    })();
    for (let i = 0; i < 4; i++) {
      const r = await tool('mm', ['--status', '--html', 'status.html', 'mm.conf'], { cwd: home });
      expect(r.code).toBe(0);
    }
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
    expect(await readFile(page, 'utf8')).toContain('<th scope="row">f:failing</th>');
    const stdout = await tool('mm', ['--status', '--html', 'mm.conf'], { cwd: home });
    expect(stdout.stdout).toMatch(/^<!DOCTYPE html>/);
    const bad = await tool('mm', ['--status', '--html', join(home, 'no', 'such', 'dir.html'), 'mm.conf'], {
      cwd: home,
    });
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/^mm: cannot write the status page .*dir\.html: ENOENT\n$/);
  });
});

describe('mm serve under bad input', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'mm-serve-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('survives a client that disconnects mid-response and serves the next one', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `site${i % 10}:package-with-a-long-name-${i} 8 1`);
    await writeFile(join(home, 'big.conf'), `${lines.join('\n')}\n`);
    const server = await serve(home, 'big.conf');
    try {
      const { port } = new URL(server.url);
      const got = await new Promise<{ bytes: number; length: number }>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1');
        let received = 0;
        let head = '';
        socket.on('error', reject);
        socket.on('data', (d) => {
          received += d.length;
          head += d.toString('latin1').slice(0, 2000);
          if (received > 32_768) {
            const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
            socket.destroy(); // hang up mid-page
            resolve({ bytes: received, length });
          }
        });
        socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      });
      expect(got.bytes).toBeLessThan(got.length);
      // The server goes on: a whole page for the next client, and its process is still there.
      const res = await fetch(server.url);
      const page = await res.text();
      expect(Buffer.byteLength(page)).toBe(Number(res.headers.get('content-length')));
      expect(page.match(/<tr id=/g)).toHaveLength(3000);
      expect(server.child.exitCode).toBeNull();
      expect(server.stderr()).toBe('');
    } finally {
      await stop(server.child);
    }
  });

  it('serves a home whose history is corrupt, noting the damage, and one whose history is missing', async () => {
    await writeFile(join(home, 'small.conf'), 'a:b 8 1\n');
    await writeFile(
      join(home, 'mm.history.jsonl'),
      '{"job":"a:b","start":1,"end":2,"result":"ok"}\n\u0000\u0000garbage{{\n',
    );
    const server = await serve(home, 'small.conf');
    try {
      const page = await (await fetch(server.url)).text();
      expect(page).toContain(`${join(home, 'mm.history.jsonl')}: 1 damaged line ignored`);
      expect(page).toContain('<th scope="row">a:b</th>');
      await rm(join(home, 'mm.history.jsonl'));
      await sleep(1100); // past the one-second snapshot cache
      const again = await (await fetch(server.url)).text();
      expect(again).not.toContain('damaged');
      expect(again).toContain('no runs recorded');
    } finally {
      await stop(server.child);
    }
  });

  it('says what is wrong with --listen, and with an address it cannot use', async () => {
    await writeFile(join(home, 'small.conf'), 'a:b 8 1\n');
    const bad = await tool('mm', ['serve', '--listen', 'nonsense', 'small.conf'], { cwd: home });
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('mm serve: --listen nonsense: not HOST:PORT');
    const first = await serve(home, 'small.conf');
    try {
      const port = new URL(first.url).port;
      const busy = await tool('mm', ['serve', '--listen', `127.0.0.1:${port}`, 'small.conf'], { cwd: home });
      expect(busy).toMatchObject({
        code: 2,
        stderr: `mm serve: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`,
      });
    } finally {
      await stop(first.child);
    }
  });
});
