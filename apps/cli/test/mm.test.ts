import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '@suite/internal/testing';
import { acquire } from '@suite/lockfile/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin } from './_support.js';

// Helpers: run the real bin in a temp dir; parse the start/end times jobs record.
interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a suite tool as a real process in `cwd`; `input` goes to its stdin. */
function runTool(
  name: string,
  args: readonly string[],
  options: { cwd: string; input?: string; env?: Record<string, string> },
): Promise<Result> & { pid: number | undefined; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn(process.execPath, [bin(name), ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end(options.input ?? '');
  // A hung mm must fail its test, not outlive it.
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolve({ code, signal, stdout, stderr });
    });
  });
  // 'close' waits for every holder of the output pipes (orphaned jobs too); 'exit' is mm's own end.
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  return Object.assign(done, { pid: child.pid, exited });
}

const mm = (cwd: string, args: readonly string[], input?: string) =>
  runTool('mm', args, { cwd, ...(input === undefined ? {} : { input }) });

async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mm-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds, polling; fails after `ms`. */
async function until(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

/** Whether `pid` is a live process (a zombie counts as dead). */
const alive = async (pid: number) => isAlive(pid);

/** Parses `S id nanos` / `E id nanos` lines that jobs append, into intervals per job. */
function intervals(text: string): { id: string; start: number; end: number }[] {
  const open = new Map<string, number[]>();
  const out: { id: string; start: number; end: number }[] = [];
  for (const line of text.trim().split('\n')) {
    const m = /^([SE]) (.+) (\d+)$/.exec(line);
    if (!m) continue;
    const [, kind, id = '', t = ''] = m;
    const time = Number(BigInt(t) / 1000n) / 1000; // ms
    if (kind === 'S') open.set(id, [...(open.get(id) ?? []), time]);
    else {
      const starts = open.get(id) ?? [];
      out.push({ id, start: starts.shift() ?? Number.NaN, end: time });
    }
  }
  return out;
}

/** The most intervals that overlap at any moment. */
function mostAtOnce(list: readonly { start: number; end: number }[]): number {
  const points = list.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const p of points) {
    now += p.d;
    most = Math.max(most, now);
  }
  return most;
}

/** A mirror= command that records its start and end in ../times (relative to home) around `body`. */
const timedMirror = (body: string) =>
  `mirror=echo "S $site:$package $(date +%s%N)" >> times; ${body}; s=$?; echo "E $site:$package $(date +%s%N)" >> times; exit $s`;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const conf = (lines: string[]) => `${lines.join('\n')}\n`;
const statusLines = async () => (await readFile(join(dir, 'mm.status'), 'utf8')).trim().split('\n');
const exists = (p: string) =>
  access(join(dir, p)).then(
    () => true,
    () => false,
  );

describe('mm', () => {
  it('never runs more than max jobs at once, and a cmd= barrier waits for all of them', async () => {
    const jobs = Array.from({ length: 7 }, (_, i) => `s:p${i} 1 1`);
    const text = conf([
      'max=3',
      timedMirror('sleep 0.2'),
      ...jobs.slice(0, 5),
      'cmd=echo "S barrier $(date +%s%N)" >> times; sleep 0.1; echo "E barrier $(date +%s%N)" >> times',
      ...jobs.slice(5),
    ]);
    const r = await mm(dir, ['--verbose'], text);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const list = intervals(await readFile(join(dir, 'times'), 'utf8'));
    expect(list).toHaveLength(8);
    expect(mostAtOnce(list.filter((i) => i.id !== 'barrier'))).toBeLessThanOrEqual(3);
    expect(mostAtOnce(list)).toBeGreaterThanOrEqual(2); // it did run in parallel
    const barrier = list.find((i) => i.id === 'barrier')!;
    for (const i of list.filter((x) => /p[0-4]$/.test(x.id)))
      expect(i.end).toBeLessThanOrEqual(barrier.start);
    for (const i of list.filter((x) => /p[56]$/.test(x.id)))
      expect(i.start).toBeGreaterThanOrEqual(barrier.end);
    expect(r.stdout).toContain('mm: 7 ran, 7 succeeded, 0 failed, 0 skipped');
  });

  it('respects the retry timers after success and after failure, warning "Not trying SITE:PKG: N seconds to go" as mm.pl does, and -t ignores them', async () => {
    const text = conf(['mirror=test $site = ok', 'ok:a 1 0.5', 'bad:a 1 0.5']);
    expect((await mm(dir, [], text)).code).toBe(1);
    const quiet = await mm(dir, [], text);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toMatch(
      /^Not trying ok:a: (3[56]\d\d) seconds to go\nNot trying bad:a: (1[78]\d\d) seconds to go\n$/,
    );
    expect(quiet.code).toBe(0);
    const second = await mm(dir, ['--verbose'], text);
    expect(second.stdout).toMatch(
      /ok:a: skipped \(timer\): last run succeeded, ended at .*; eligible again at/,
    );
    expect(second.stdout).toMatch(
      /bad:a: skipped \(timer\): last run failed, ended at .*; eligible again at/,
    );
    expect(second.stdout).toContain('0 ran');
    // Move both last tries 40 minutes back: past the failure's half hour, not the success's hour.
    const back = (await readFile(join(dir, 'mm.status'), 'utf8')).replace(
      / (\d{10}) /g,
      (_, t) => ` ${Number(t) - 2400} `,
    );
    await writeFile(join(dir, 'mm.status'), back);
    const third = await mm(dir, ['--verbose'], text);
    expect(third.stdout).toContain('bad:a: started');
    expect(third.stdout).toContain('ok:a: skipped (timer)');
    expect((await mm(dir, ['-t', '--verbose'], text)).stdout).toContain('2 ran');
  });

  it('-t ignores timers but not locks: a job whose lock is held is skipped and says who holds it ("Not trying SITE:PKG: locked by PID", as mm.pl)', async () => {
    await mkdir(join(dir, 'mm.locks'));
    const lock = await acquire(join(dir, 'mm.locks', encodeURIComponent('s:held')));
    try {
      const quiet = await mm(dir, ['-t'], conf(['mirror=true', 's:held 0 0', 's:free 0 0']));
      expect(quiet).toMatchObject({
        code: 0,
        stdout: '',
        stderr: `Not trying s:held: locked by ${process.pid}\n`,
      });
      const r = await mm(dir, ['-t', '--verbose'], conf(['mirror=true', 's:held 0 0', 's:free 0 0']));
      expect(r.stdout).toContain(`s:held: skipped (locked): already running: locked by pid ${process.pid}`);
      expect(r.stdout).toContain('s:free: started');
      expect(r.code).toBe(0);
      const table = await mm(dir, ['--status'], conf(['s:held 0 0']));
      expect(table.stdout).toMatch(new RegExp(`s:held +running +- +now +pid ${process.pid}@`));
    } finally {
      await lock.release();
    }
  });

  it('-oPATTERN is a regular expression matched against site:package and the last -o wins, as in mm.pl; -o PATTERN with a space works too; skip= matches exactly (a.b:c does not skip ab:c)', async () => {
    const text = conf([
      'mirror=echo $site:$package >> ran',
      'skip=a.b:c',
      'a.b:c 0 0',
      'ab:c 0 0',
      'x:1 0 0',
      'x:2 0 0',
      'x:10 0 0',
    ]);
    const ran = async () => (await readFile(join(dir, 'ran'), 'utf8')).trim().split('\n').sort();
    expect(await mm(dir, ['-o^x:[12]$'], text)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await ran()).toEqual(['x:1', 'x:2']);
    await writeFile(join(dir, 'ran'), '');
    await mm(dir, ['-t', '-ox:1', '-o', 'ab:c'], text);
    expect(await ran()).toEqual(['ab:c']);
    await writeFile(join(dir, 'ran'), '');
    await mm(dir, ['-t', '-o', 'x:1'], text); // unanchored, as Perl's =~: x:10 matches too
    expect(await ran()).toEqual(['x:1', 'x:10']);
    await writeFile(join(dir, 'ran'), '');
    await mm(dir, ['-t'], text);
    expect(await ran()).toEqual(['ab:c', 'x:1', 'x:10', 'x:2']);
    expect(await mm(dir, ['-o', 'nope:x'], text)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await mm(dir, ['-o', '(unclosed'], text)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('-o (unclosed: not a regular expression'),
    });
  });

  it('runs the default mirror command with names that have spaces and quotes, and unknown flags in $args', async () => {
    await writeFile(join(dir, 'mirror'), '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done; echo\n', {
      mode: 0o755,
    });
    await mkdir(join(dir, 'packages'));
    const r = await mm(dir, ['-n', '-k'], conf(["it's a:gnu tools 'x' 0 0 -v"]));
    expect(r.code).toBe(0);
    expect(await readdir(join(dir, 'logs'))).toEqual(["it's a:gnu_tools__x_"]); // $pkg: blanks, / and ' become _
    const log = await readFile(join(dir, 'logs', "it's a:gnu_tools__x_"), 'utf8');
    expect(log).toBe("[-v][-n][-k][-pgnu tools 'x'][packages/it's a]\n");
  });

  it('clears a failure when the next run succeeds (no sticky failure in mm.status)', async () => {
    const text = conf(['mirror=test -f ok', 's:p 0 0']);
    expect((await mm(dir, [], text)).code).toBe(1);
    expect(await statusLines()).toEqual([expect.stringMatching(/^s:p \d+ 256 u \d+$/)]);
    await writeFile(join(dir, 'ok'), '');
    expect((await mm(dir, [], text)).code).toBe(0);
    expect(await statusLines()).toEqual([expect.stringMatching(/^s:p \d+ 0 u \d+$/)]);
    const json = JSON.parse(await readFile(join(dir, 'mm.status.json'), 'utf8'));
    expect(json.jobs['s:p']).toMatchObject({ lastOk: true, consecutiveFailures: 0, lastExitCode: 0 });
  });

  it('ignores a stale "l PID" in mm.status (PID reuse, another user\'s process): the lock decides', async () => {
    // pid 1 is alive and not ours; our own pid is alive too: the original would call both jobs locked.
    await writeFile(join(dir, 'mm.status'), `a:1 100 0 l 1\na:2 100 0 l ${process.pid}\n`);
    const r = await mm(dir, ['--verbose'], conf(['mirror=true', 'a:1 1 1', 'a:2 1 1']));
    expect(r.stdout).toContain('2 ran');
    expect(await statusLines()).toEqual([
      expect.stringMatching(/^a:1 \d{10} 0 u [1-9]\d*$/),
      expect.stringMatching(/^a:2 \d{10} 0 u [1-9]\d*$/),
    ]);
  });

  it('keeps garbage lines of mm.status, and every entry after them', async () => {
    await writeFile(join(dir, 'mm.status'), 'old:1 100 0 u 0\n#### garbage ####\nold:2 200 256 u 0\n');
    await mm(dir, [], conf(['mirror=true', 'new:1 1 1', 'old:2 1 1']));
    const lines = await statusLines();
    expect(lines[0]).toBe('old:1 100 0 u 0');
    expect(lines[1]).toBe('#### garbage ####');
    expect(lines[2]).toMatch(/^old:2 \d{10} 0 u \d+$/);
    expect(lines[3]).toMatch(/^new:1 \d{10} 0 u \d+$/);
  });

  it('runs hostile names without injecting anything, whatever the template', async () => {
    const names = ['x;touch>F:p', '$(touch G):p', '`touch H`:p', "q'uote:p"];
    for (const mirror of [
      'mirror=echo $site $package > logs/$site:$pkg',
      'mirror=echo "$site" \'$package\' > "logs/$site:$pkg"',
    ]) {
      const r = await mm(dir, ['-t'], conf([mirror, ...names.map((n) => `${n} 0 0`)]));
      expect(r.code).toBe(0);
    }
    expect(await exists('F')).toBe(false);
    expect(await exists('G')).toBe(false);
    expect(await exists('H')).toBe(false);
    expect((await readdir(join(dir, 'logs'))).sort()).toEqual([...names].sort());
    expect(await readFile(join(dir, 'logs', 'x;touch>F:p'), 'utf8')).toBe('x;touch>F p\n');
  });

  it('refuses an unsafe name with file:line and runs nothing (exit 2)', async () => {
    await writeFile(join(dir, 'mm.conf'), conf(['mirror=touch ran', 'ok:1 0 0', '../up:x 0 0']));
    const r = await mm(dir, ['mm.conf']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("mm: mm.conf:3: error: unsafe job name '../up:x'");
    expect(await exists('ran')).toBe(false);
  });

  it('warns about unparsable lines with file:line and runs everything else', async () => {
    await writeFile(join(dir, 'mm.conf'), conf(['mirror=true', 'a:1 1 1', 'what is this', 'a:2 1 1']));
    const r = await mm(dir, ['--verbose', 'mm.conf']);
    expect(r.stderr).toContain('mm: mm.conf:3: warning: unparsable line ignored: "what is this"');
    expect(r.stdout).toContain('2 ran');
    expect(r.code).toBe(0);
  });

  it('exits 2 for a missing home, a bad max= and a missing config file', async () => {
    const r = await mm(dir, [], conf(['home=/no/such/dir', 'a:1 0 0']));
    expect(r).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('-:1: error: home=/no/such/dir: no such directory'),
    });
    expect((await mm(dir, [], 'max=0\n')).code).toBe(2);
    expect(await mm(dir, ['nope.conf'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot read nope.conf: ENOENT'),
    });
  });

  it('creates a missing logs/ under each home; a command that does not exist fails that job only', async () => {
    await mkdir(join(dir, 'h'));
    const r = await mm(
      dir,
      ['--verbose'],
      conf(['home=h', 'mirror=no-such-mirror-command', 'a:1 0 0', 'mirror=true', 'a:2 0 0']),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('a:1: FAILED: exit 127');
    expect(r.stdout).toContain('a:2: done');
    expect(await exists('h/logs')).toBe(true);
    expect(await exists('h/mm.status')).toBe(true);
  });

  it('-debug is repeatable: once adds queued and not-selected lines, twice also prints the plan', async () => {
    const text = conf(['mirror=true', 'a:1 0 0', 'a:2 0 0']);
    const once = await mm(dir, ['-debug', '-o', 'a:1'], text);
    expect(once.stdout).toContain('mm: a:1: queued');
    expect(once.stdout).toContain('mm: a:2: skipped (not-selected)');
    expect(once.stderr).not.toContain('plan:');
    const twice = await mm(dir, ['-debug', '-debug', '-o', 'a:1'], text);
    expect(twice.stderr).toContain(`mm: plan: job a:1 in ${dir}: true`);
    expect((await mm(dir, ['-o', 'a:1'], text)).stdout).not.toContain('queued');
  });

  it('a failing cmd= makes the exit status 1', async () => {
    const r = await mm(dir, ['--verbose'], conf(['mirror=true', 'a:1 0 0', 'cmd=exit 4', 'a:2 0 0']));
    expect(r.stdout).toContain('cmd=exit 4: FAILED: exit 4');
    expect(r.stdout).toContain('a:2: done');
    expect(r.code).toBe(1);
  });

  it('-s prints each status change in mm.status format', async () => {
    const r = await mm(dir, ['-s'], conf(['mirror=true', 's:p 0 0']));
    expect(r.stderr).toMatch(/^mm: status: s:p \d+ 0 l (\d+)\nmm: status: s:p \d+ 0 u \1\n$/);
  });

  it('--status prints a table, --json the same for machines; --why and --dry-run explain', async () => {
    const text = conf(['mirror=exit 3', 'a:1 1 2', 'a:2 1 1']);
    await writeFile(join(dir, 'mm.conf'), text);
    await mm(dir, ['-o', 'a:1', 'mm.conf']);
    const table = await mm(dir, ['--status', 'mm.conf']);
    expect(table.stdout.split('\n')[0]).toMatch(/^JOB\s+LAST RESULT\s+LAST RUN\s+NEXT ELIGIBLE\s+LOCKED BY$/);
    expect(table.stdout).toMatch(/a:1 +failed \(exit 3\) +\d{4}-\d\d-\d\dT\S+Z +\d{4}-\S+Z +-/);
    expect(table.stdout).toMatch(/a:2 +never +- +now +-/);
    const rows = JSON.parse((await mm(dir, ['--status', '--json', 'mm.conf'])).stdout);
    expect(rows[0]).toMatchObject({
      id: 'a:1',
      lastResult: 'failed',
      lastExitCode: 3,
      consecutiveFailures: 1,
      lockedBy: null,
    });
    const why = await mm(dir, ['--why', 'a:1', 'mm.conf']);
    expect(why.stdout).toMatch(
      /^a:1: would not run \(timer\): last run failed, ended at .*; eligible again at /,
    );
    const dry = JSON.parse((await mm(dir, ['--dry-run', '--json', 'mm.conf'])).stdout);
    expect(dry).toEqual([
      expect.objectContaining({ id: 'a:1', wouldRun: false, reason: 'timer' }),
      expect.objectContaining({ id: 'a:2', wouldRun: true }),
    ]);
    expect(await exists('logs/a:2')).toBe(false);
  });

  it('refuses unknown long options (they never go to mirror) with exit 2', async () => {
    expect(await mm(dir, ['--stauts'], '')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown option --stauts'),
    });
  });
});

describe('mm reads configurations as mm.pl 2.9 does', () => {
  it('accepts white space around = in every statement and takes the leading digits of max=, as mm.pl does', async () => {
    await mkdir(join(dir, 'sub'));
    const text = conf([
      'home = sub   # the first word is the directory',
      'max = 2   # two at a time',
      `mirror = ${timedMirror('sleep 0.5').slice('mirror='.length)}`,
      'skip = s:p3',
      ...Array.from({ length: 4 }, (_, i) => `s:p${i} 0 0`),
    ]);
    const r = await mm(dir, [], text);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const list = intervals(await readFile(join(dir, 'sub', 'times'), 'utf8'));
    expect(list.map((i) => i.id).sort()).toEqual(['s:p0', 's:p1', 's:p2']);
    expect(mostAtOnce(list)).toBeLessThanOrEqual(2); // 2, not the default 6: all three would overlap
  });

  it('matches skip= against the exact name: mm.pl searched the skip text with the name as a pattern, so skip=xab:cx skipped b:c', async () => {
    const r = await mm(
      dir,
      [],
      conf(['mirror=echo $site:$package >> ran', 'skip=xab:cx', 'b:c 0 0', 'ab:c 0 0']),
    );
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await readFile(join(dir, 'ran'), 'utf8')).trim().split('\n').sort()).toEqual(['ab:c', 'b:c']);
  });

  it('reads a last line without a final newline whole (mm.pl cut its last character, so 0 10 became 0 1)', async () => {
    const r = await mm(dir, [], 'mirror=echo $args > got\na:1 0 10 -x');
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await readFile(join(dir, 'got'), 'utf8')).toBe('-x\n');
    expect(JSON.parse(await readFile(join(dir, 'mm.status.json'), 'utf8')).jobs['a:1']).toMatchObject({
      lastOk: true,
    });
  });

  it('obeys cmd= before a later home=, as mm.pl does', async () => {
    const r = await mm(
      dir,
      [],
      conf(['cmd=mkdir -p made/here', 'home=made/here', 'mirror=touch ran', 'a:1 0 0']),
    );
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await exists('made/here/ran')).toBe(true);
    expect(await exists('made/here/mm.status')).toBe(true);
  });

  it('stops reading at a home= that does not exist, as mm.pl dies there; the jobs above it run to their end and are recorded (exit 2)', async () => {
    const r = await mm(
      dir,
      [],
      conf(['mirror=sleep 0.2; touch $package.ran', 'a:1 0 0', 'home=nowhere', 'a:2 0 0']),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `mm: -:3: error: home=nowhere: no such directory: ${join(dir, 'nowhere')}; nothing after it is read\n`,
    );
    expect(await exists('1.ran')).toBe(true);
    expect(await exists('2.ran')).toBe(false);
    expect(await statusLines()).toEqual([expect.stringMatching(/^a:1 \d{10} 0 u \d+$/)]);
  });

  it('runs cmdin= when it is reached: after the jobs above it have started and after a cmd= above it, as mm.pl does', async () => {
    // The first cmdin= waits (up to 5 s) for a:1 to have started; the second needs the cmd= above it to have run.
    const text = conf([
      'mirror=touch $package.started; sleep 0.3',
      'a:1 0 0',
      'cmdin=for i in $(seq 100); do [ -f 1.started ] && break; sleep 0.05; done; [ -f 1.started ] && echo "b:2 0 0"',
      'cmd=touch barrier.done',
      'cmdin=[ -f barrier.done ] && echo "c:3 0 0"',
    ]);
    const r = await mm(dir, [], text);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await exists('2.started')).toBe(true);
    expect(await exists('3.started')).toBe(true);
  });

  it("passes a job line's mirror arguments to the shell as text (quotes group words, $HOME expands), as mm.pl does; names stay data", async () => {
    await writeFile(join(dir, 'mirror'), '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done; echo\n', {
      mode: 0o755,
    });
    const text = conf([
      'mirror=./mirror $args > logs/$pkg 2>&1',
      `a:x;touch${' '}F 0 0 -k'remote_dir=/a b' -h$HOME "-s$site"`,
    ]);
    const r = await runTool('mm', ['-n'], { cwd: dir, input: text, env: { HOME: '/srv/home' } });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await readFile(join(dir, 'logs', 'x;touch_F'), 'utf8')).toBe(
      '[-kremote_dir=/a b][-h/srv/home][-sa][-n]\n',
    );
    expect(await exists('F')).toBe(false);
  });

  it('is quiet under cron as mm.pl is: nothing on stdout when nothing failed; a failed job adds one line on stderr and exit 1', async () => {
    const ok = await mm(dir, [], conf(['mirror=true', 'a:1 0 0', 'a:2 0 0']));
    expect(ok).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const bad = await mm(dir, ['-t'], conf(['mirror=test $package = 1', 'a:1 0 0', 'a:2 0 0']));
    expect(bad).toMatchObject({ code: 1, stdout: '', stderr: 'mm: a:2: FAILED: exit 1\n' });
  });

  it('treats retry hours too large for a date (9999999999) as "not again", and --status, --dry-run and --why answer without crashing', async () => {
    const text = conf(['mirror=true', 'a:1 9999999999 9999999999', 'a:2 1000000000 1']);
    await writeFile(join(dir, 'mm.conf'), text);
    expect(await mm(dir, ['mm.conf'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const again = await mm(dir, ['mm.conf']);
    expect(again.code).toBe(0);
    // mm.pl's own figure: 9999999999 × 3600 seconds.
    expect(again.stderr).toMatch(
      /^Not trying a:1: 35999999996\d{3} seconds to go\nNot trying a:2: \d{13} seconds to go\n$/,
    );
    const table = await mm(dir, ['--status', 'mm.conf']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/a:1 +ok +\S+Z +never +-/);
    expect(table.stdout).toMatch(/a:2 +ok +\S+Z +\+?\d{5,6}-\S+Z +-/);
    const why = await mm(dir, ['--why', 'a:1', 'mm.conf']);
    expect(why).toMatchObject({ code: 0, stderr: '' });
    expect(why.stdout).toContain('not again within any time that matters');
    const dry = await mm(dir, ['--dry-run', 'mm.conf']);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('a:2: would not run (timer)');
  });

  it('says what is wrong with an mm.status that is a directory, instead of a stack trace', async () => {
    await mkdir(join(dir, 'mm.status'));
    const text = conf(['mirror=touch ran', 'a:1 0 0']);
    await writeFile(join(dir, 'mm.conf'), text);
    const r = await mm(dir, ['mm.conf']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mm: a:1: FAILED: cannot read ${join(dir, 'mm.status')}: it is a directory\n`);
    expect(await exists('ran')).toBe(false);
    for (const flag of ['--status', '--dry-run']) {
      const shown = await mm(dir, [flag, 'mm.conf']);
      expect(shown).toMatchObject({
        code: 2,
        stderr: `mm: cannot read ${join(dir, 'mm.status')}: it is a directory\n`,
      });
    }
  });

  it('does not let a last run recorded in the future (clock stepped back) hold a job back longer than its interval', async () => {
    // mm.pl would wait ten years here ("Not trying a:1: 315... seconds to go").
    const future = Math.floor(Date.now() / 1000) + 10 * 365 * 86400;
    await writeFile(join(dir, 'mm.status'), `a:1 ${future} 0 u 0\n`);
    const r = await mm(dir, [], conf(['mirror=touch ran', 'a:1 1 1']));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(await exists('ran')).toBe(true);
    const again = await mm(dir, [], conf(['mirror=touch ran', 'a:1 1 1']));
    expect(again.stderr).toMatch(/^Not trying a:1: 3[56]\d\d seconds to go\n$/);
  });
});

describe('mm across processes', () => {
  const jobLines = (n: number) => Array.from({ length: n }, (_, i) => `s:p${i} 1 1`);

  it('two mm over the same home never run one job twice, and each job runs once', async () => {
    const text = conf(['max=3', timedMirror('sleep 0.3'), ...jobLines(6)]);
    const [a, b] = await Promise.all([mm(dir, ['--verbose'], text), mm(dir, ['--verbose'], text)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const list = intervals(await readFile(join(dir, 'times'), 'utf8'));
    expect(list.map((i) => i.id).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `s:p${i}`));
    const ran = (r: Result) => Number(/mm: (\d+) ran/.exec(r.stdout)?.[1]);
    expect(ran(a) + ran(b)).toBe(6);
  });

  it('with -t, two mm may both run a job, but never at the same time', async () => {
    const text = conf(['max=4', timedMirror('sleep 0.2'), ...jobLines(4)]);
    await Promise.all([mm(dir, ['-t'], text), mm(dir, ['-t'], text), mm(dir, ['-t'], text)]);
    const list = intervals(await readFile(join(dir, 'times'), 'utf8'));
    expect(list.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < 4; i++) expect(mostAtOnce(list.filter((x) => x.id === `s:p${i}`))).toBe(1);
  });

  it('after kill -9 of mm: mm.status is intact, the orphaned mirror keeps its job locked, then the job runs again', async () => {
    // The mirrors run until the test creates `release`, however slow the machine, but never past 2 minutes: a
    // failing test must not leave them behind.
    const text = conf([
      'mirror=touch started; i=0; until [ -f release ] || [ $i -ge 2400 ]; do sleep 0.05; i=$((i+1)); done',
      'k:p 0 0',
      'k:q 0 0',
    ]);
    const first = mm(dir, ['-t'], text);
    await until(() => exists('started'));
    await until(
      async () =>
        (await exists('mm.status')) && (await statusLines()).filter((l) => / l /.test(l)).length === 2,
    );
    const pids = (await statusLines()).map((l) => Number(/ l (\d+)$/.exec(l)?.[1]));
    process.kill(first.pid!, 'SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(await statusLines()).toEqual([
      expect.stringMatching(/^k:p \d{10} 0 l \d+$/),
      expect.stringMatching(/^k:q \d{10} 0 l \d+$/),
    ]);
    const during = await mm(dir, ['-t', '--verbose'], text);
    expect(during.stdout).toContain(`k:p: skipped (locked): already running: locked by pid ${first.pid}`);
    expect(during.stdout).toContain('0 ran');
    // The locks name mm's fork helper (which waits for the orphans); --status names each job's own process.
    const rows = JSON.parse((await mm(dir, ['--status', '--json'], text)).stdout) as {
      lockedBy: { pid: number; pids?: number[] } | null;
    }[];
    expect(rows.map((r) => r.lockedBy)).toEqual(
      pids.map((pid) => expect.objectContaining({ pid: first.pid, pids: [pid] })),
    );
    await writeFile(join(dir, 'release'), '');
    for (const pid of pids) await until(async () => !(await alive(pid)));
    await first;
    const after = await mm(dir, ['-t', '--verbose'], text);
    expect(after.stdout).toContain('2 ran, 2 succeeded');
    expect(after.code).toBe(0);
    expect(await statusLines()).toEqual([
      expect.stringMatching(/^k:p \d{10} 0 u \d+$/),
      expect.stringMatching(/^k:q \d{10} 0 u \d+$/),
    ]);
  });

  it('on Ctrl-C (SIGINT to its process group) mm stops its jobs and records how they ended', async () => {
    await writeFile(join(dir, 'c'), conf(['mirror=sleep 30', 'a:1 0 0', 'a:2 0 0']));
    const child = spawn(process.execPath, [bin('mm'), '--quiet', 'c'], {
      cwd: dir,
      detached: true,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(
      async () =>
        (await exists('mm.status')) && (await statusLines()).filter((l) => / l /.test(l)).length === 2,
    );
    const pids = (await statusLines()).map((l) => Number(/ l (\d+)$/.exec(l)?.[1]));
    process.kill(-child.pid!, 'SIGINT'); // what a terminal does: the whole foreground process group
    expect(await exited).toBe(1);
    for (const pid of pids) expect(await alive(pid)).toBe(false);
    const json = JSON.parse(await readFile(join(dir, 'mm.status.json'), 'utf8'));
    expect(json.jobs['a:1']).toMatchObject({ lastSignal: 'SIGTERM', lastOk: false });
    expect(json.jobs['a:2']).toMatchObject({ lastSignal: 'SIGTERM', lastOk: false });
  });

  it('on SIGTERM: children are terminated, mm.status is written, no lock is left, exit 1', async () => {
    const run = mm(dir, ['--grace', '5'], conf(['mirror=sleep 30', 'a:1 0 0', 'a:2 0 0', 'a:3 0 0']));
    await until(
      async () =>
        (await exists('mm.status')) && (await statusLines()).filter((l) => / l /.test(l)).length === 3,
    );
    const running = (await statusLines())
      .map((l) => l.split(' '))
      .map((f) => [f[0], f[4]] as const)
      .sort(([a], [b]) => (a! < b! ? -1 : 1));
    const pids = running.map(([, pid]) => Number(pid));
    process.kill(run.pid!, 'SIGTERM');
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SIGTERM: stopping every job');
    for (const pid of pids) expect(await alive(pid)).toBe(false);
    // Each job's line keeps the pid it ran with (SIGTERM went to its process group: wait status 15), in whatever
    // order the jobs' lines were written.
    expect((await statusLines()).sort()).toEqual(
      running.map(([id, pid]) => expect.stringMatching(new RegExp(`^${id} \\d{10} 15 u ${pid}$`))),
    );
    expect((await readdir(join(dir, 'mm.locks'))).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });
  it('on SIGHUP (the session or cron went away) mm stops its jobs, writes their status and leaves no lock', async () => {
    const run = mm(dir, ['--grace', '5'], conf(['mirror=sleep 30', 'a:1 0 0', 'a:2 0 0']));
    await until(
      async () =>
        (await exists('mm.status')) && (await statusLines()).filter((l) => / l /.test(l)).length === 2,
    );
    const running = (await statusLines())
      .map((l) => l.split(' '))
      .map((f) => [f[0], f[4]] as const)
      .sort(([a], [b]) => (a! < b! ? -1 : 1));
    const pids = running.map(([, pid]) => Number(pid));
    process.kill(run.pid!, 'SIGHUP');
    const r = await run;
    expect(r.code).toBe(1);
    for (const pid of pids) expect(await alive(pid)).toBe(false);
    // Each job's line keeps the pid it ran with (SIGTERM went to its process group: wait status 15), in whatever
    // order the jobs' lines were written.
    expect((await statusLines()).sort()).toEqual(
      running.map(([id, pid]) => expect.stringMatching(new RegExp(`^${id} \\d{10} 15 u ${pid}$`))),
    );
    expect((await readdir(join(dir, 'mm.locks'))).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('on an exception nobody caught, mm stops its jobs, writes their status, leaves no lock and exits 70', async () => {
    // A real uncaught exception inside the running mm: a preloaded module throws from a timer once jobs run.
    await writeFile(
      join(dir, 'boom.mjs'),
      "import { existsSync } from 'node:fs';\nconst t = setInterval(() => { if (existsSync('mm.status')) { clearInterval(t); throw new Error('boom'); } }, 20);\nt.unref();\n",
    );
    const run = runTool('mm', ['--grace', '5'], {
      cwd: dir,
      input: conf(['mirror=sleep 30', 'a:1 0 0', 'a:2 0 0']),
      env: { NODE_OPTIONS: `--import=${join(dir, 'boom.mjs')}` },
    });
    const r = await run;
    expect(r.code).toBe(70);
    expect(r.stderr).toContain('mm: internal error: Error: boom');
    const lines = (await statusLines()).sort(); // the jobs' lines come in the order they were written
    expect(lines).toEqual([
      expect.stringMatching(/^a:1 \d{10} 15 u [1-9]\d*$/),
      expect.stringMatching(/^a:2 \d{10} 15 u [1-9]\d*$/),
    ]);
    for (const line of lines) expect(await alive(Number(line.split(' ').at(-1)))).toBe(false);
    expect((await readdir(join(dir, 'mm.locks'))).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('stops a cmdin= command that hangs and ignores SIGTERM: SIGKILL after --grace, so it does not outlive mm (a run, or --dry-run)', async () => {
    for (const flags of [[], ['--dry-run']]) {
      await rm(join(dir, 'cmdin.pid'), { force: true });
      const run = mm(
        dir,
        ['--grace', '1', ...flags],
        conf(["cmdin=echo $$ > cmdin.pid; trap '' TERM; sleep 30; echo x:1 0 0"]),
      );
      await until(
        async () =>
          (await exists('cmdin.pid')) && (await readFile(join(dir, 'cmdin.pid'), 'utf8')).endsWith('\n'),
      );
      const pid = Number(await readFile(join(dir, 'cmdin.pid'), 'utf8'));
      await sleep(100); // let it reach the trap
      const begun = Date.now();
      process.kill(run.pid!, 'SIGTERM');
      const r = await run;
      expect(r.code).toBe(1);
      expect(Date.now() - begun).toBeGreaterThanOrEqual(900); // it waited out the grace period
      expect(Date.now() - begun).toBeLessThan(10_000);
      expect(await alive(pid)).toBe(false);
    }
  });
});

describe('mm live view', () => {
  it('shows counts, then each running job with its elapsed time', async () => {
    const { renderLive } = await import('../src/commands/mm/live-view.js');
    const running = new Map([
      ['ftp.x.org:gnu', 1_000],
      ['a-very-long-site-name.example.org:a-very-long-package-name', 0],
    ]);
    const lines = renderLive({ running, queued: 4, done: 7, failed: 1, skipped: 2 }, 3_726_000, 50);
    expect(lines).toEqual([
      'mm: 2 running, 4 queued, 7 done, 1 failed, 2 skipped',
      '    1h02m  ftp.x.org:gnu',
      '    1h02m  a-very-long-site-name.example.org:a-v…', // cut to fit 50 columns
    ]);
    expect(
      renderLive({ running: new Map([['s:p', 0]]), queued: 0, done: 0, failed: 0, skipped: 0 }, 65_000)[1],
    ).toBe('    1m05s  s:p');
  });
});

describe.runIf(existsSync('/usr/bin/script'))('mm on a terminal', () => {
  // script(1) gives mm a pseudo-terminal as stdout.
  const onTty = (args: string) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        '/usr/bin/script',
        ['-qec', `${process.execPath} ${bin('mm')} ${args}`, '/dev/null'],
        { cwd: dir },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });

  it('shows a live view of running jobs and counts, then the summary', async () => {
    await writeFile(join(dir, 'c'), conf(['max=2', 'mirror=sleep 1', 'a:1 0 0', 'a:2 0 0', 'a:3 0 0']));
    const out = await onTty('c');
    expect(out).toContain('mm: 2 running, 1 queued, 0 done, 0 failed, 0 skipped');
    expect(out).toMatch(/ {6}0s {2}a:1/);
    expect(out).toContain('\x1b[J'); // redrawn in place
    expect(out).not.toContain('3 running');
    expect(out).toContain('mm: 3 ran, 3 succeeded, 0 failed, 0 skipped');
  });

  it('prints plain log lines with --verbose, and nothing with --quiet', async () => {
    await writeFile(join(dir, 'c'), conf(['mirror=true', 'a:1 0 0']));
    const out = await onTty('--verbose c');
    expect(out).not.toContain('\x1b[');
    expect(out).toContain('mm: a:1: started');
    expect(await onTty('--quiet -t c')).toBe('');
  });
});
