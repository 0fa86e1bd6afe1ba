import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, randomBytes } from './_support.js';

/*
 * Permission-denied input for the ctm mail tools. Root may read and write anything, so as root (CI runs as root)
 * the tools run as `nobody`, in directories owned by root (which nobody cannot write) or given to nobody (which
 * it can); as anyone else they run as that user and chmod takes the rights away.
 */

const asRoot = process.getuid?.() === 0;

function idOf(flag: '-u' | '-g'): number | undefined {
  try {
    return Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

/** Whom the tools run as: nobody when this is root, else this user (`{}`: no uid/gid options). */
const runner: { uid?: number; gid?: number } = (() => {
  if (!asRoot) return {};
  const uid = idOf('-u');
  const gid = idOf('-g');
  return uid === undefined || gid === undefined ? { uid: -1, gid: -1 } : { uid, gid };
})();

/** Why these tests cannot run here, or undefined when they can. */
const cannotRun: string | undefined = (() => {
  if (!asRoot) return undefined;
  if (runner.uid === -1) return 'running as root and there is no user nobody to run the tools as';
  const probe = spawnSync(process.execPath, [bin('ctm_rmail'), '--help'], {
    ...runner,
    cwd: '/',
    encoding: 'utf8',
  });
  if (probe.status === 0 && probe.stdout.startsWith('usage: ctm_rmail')) return undefined;
  return `running as root and user nobody cannot run the CLI from this checkout (${
    probe.error?.message ?? probe.stderr.split('\n')[0]
  })`;
})();
if (cannotRun) console.warn(`ctm_mail-permissions: skipped: ${cannotRun}`);

function tool(name: string, args: string[], options: { cwd: string; root?: boolean }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin(name), ...args], {
      ...(options.root ? {} : runner),
      cwd: options.cwd,
      env: { ...process.env, HOME: options.cwd, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
/** The tools' working directory and HOME: it must stay empty. */
let cwd: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-perm-'));
  chmodSync(dir, 0o755); // nobody may look in, not write
  cwd = usable('cwd');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A directory the tools may use. */
function usable(name: string): string {
  const path = join(dir, name);
  mkdirSync(path, { mode: 0o755 });
  if (asRoot) chownSync(path, runner.uid!, runner.gid!);
  return path;
}

/** A directory the tools may read but not write (root's, or read-only to its owner). */
function unwritable(name: string): string {
  const path = join(dir, name);
  mkdirSync(path, { mode: 0o755 });
  return path;
}

/** Every file under the temp dir, with a digest of its content (directories as `/`). */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const path = join(rel, name);
      if (statSync(join(dir, path)).isDirectory()) {
        out[`${path}/`] = '';
        walk(path);
      } else {
        out[path] = createHash('sha256')
          .update(readFileSync(join(dir, path)))
          .digest('hex');
      }
    }
  };
  walk('');
  return out;
}

/** Takes the rights away for the run, gives them back after (so that the checks and the cleanup can look). */
async function withModes<T>(modes: [string, number][], run: () => Promise<T>): Promise<T> {
  const before = modes.map(([path]) => [path, statSync(path).mode & 0o777] as const);
  for (const [path, mode] of modes) chmodSync(path, mode);
  try {
    return await run();
  } finally {
    for (const [path, mode] of before) chmodSync(path, mode);
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const DELTA = 'src-cur.0042.gz';
const PIECES = 3;

/** A delta in `deltas/` and an mbox `in.mbox` holding its pieces, written by ctm_smail as this user. */
async function mailedDelta(): Promise<{ delta: string; mbox: string }> {
  const deltas = join(dir, 'deltas');
  mkdirSync(deltas, { mode: 0o755 });
  const delta = join(deltas, DELTA);
  writeFileSync(delta, randomBytes(3000, 7), { mode: 0o644 });
  const mbox = join(dir, 'in.mbox');
  const r = await tool('ctm_smail', ['-m', '1500', '--mbox', mbox, delta, 'ctm-list'], { cwd, root: true });
  expect(r).toMatchObject({ code: 0 });
  expect(r.stderr.split('\n')).toHaveLength(PIECES + 1);
  chmodSync(mbox, 0o644);
  return { delta, mbox };
}

/** A queue dir `queue` holding the delta's pieces, written by ctm_smail -q as this user. */
async function queuedDelta(): Promise<string> {
  const queue = unwritable('queue');
  const delta = join(dir, DELTA);
  writeFileSync(delta, randomBytes(3000, 7), { mode: 0o644 });
  const r = await tool('ctm_smail', ['-m', '1500', '-q', queue, delta, 'ctm-list'], { cwd, root: true });
  expect(r).toMatchObject({ code: 0 });
  expect(readdirSync(queue).sort()).toEqual([1, 2, 3].map((p) => `${DELTA}+00${p}-003`));
  return queue;
}

describe.skipIf(cannotRun !== undefined)(`ctm mail tools ${asRoot ? 'as nobody' : 'as this user'}`, () => {
  it('ctm_smail: an unreadable delta is named with the reason, exit 1, nothing queued', async () => {
    const queue = usable('queue');
    const delta = join(dir, DELTA);
    writeFileSync(delta, randomBytes(3000, 3), { mode: 0o644 });
    const before = snapshot();
    const r = await withModes([[delta, 0o000]], () =>
      tool('ctm_smail', ['-m', '1500', '-q', queue, delta, 'ctm-list'], { cwd }),
    );
    expect(r).toEqual({ code: 1, stdout: '', stderr: `ctm_smail: ${delta}: Permission denied\n` });
    expect(snapshot()).toEqual(before);
  });

  it('ctm_smail: an unreadable delta sent to an mbox writes no mbox', async () => {
    const out = usable('out');
    const delta = join(dir, DELTA);
    writeFileSync(delta, randomBytes(3000, 3), { mode: 0o644 });
    const before = snapshot();
    const r = await withModes([[delta, 0o000]], () =>
      tool('ctm_smail', ['--mbox', join(out, 'mbox'), delta, 'ctm-list'], { cwd }),
    );
    expect(r).toEqual({ code: 1, stdout: '', stderr: `ctm_smail: ${delta}: Permission denied\n` });
    expect(snapshot()).toEqual(before);
  });

  it('ctm_smail -q into an unwritable queue dir: the path and the reason, exit 1, no temporaries', async () => {
    const queue = unwritable('queue');
    const delta = join(dir, DELTA);
    writeFileSync(delta, randomBytes(3000, 3), { mode: 0o644 });
    const before = snapshot();
    const r = await withModes([[queue, 0o555]], () =>
      tool('ctm_smail', ['-m', '1500', '-q', queue, delta, 'ctm-list'], { cwd }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const temp = `${escapeRegExp(queue)}/\\.\\d{8}\\.001`;
    expect(r.stderr).toMatch(
      new RegExp(
        `^ctm_smail: cannot open '${temp}' for writing: Permission denied\nctm_smail: discarding queued delta pieces\n$`,
      ),
    );
    expect(snapshot()).toEqual(before);
  });

  it('ctm_smail -q into an unreadable queue dir: the path and the reason, exit 1, nothing queued', async () => {
    const queue = unwritable('queue');
    const delta = join(dir, DELTA);
    writeFileSync(delta, randomBytes(3000, 3), { mode: 0o644 });
    const before = snapshot();
    const r = await withModes([[queue, 0o333]], () =>
      tool('ctm_smail', ['-m', '1500', '-q', queue, delta, 'ctm-list'], { cwd }),
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ctm_smail: queue directory '${queue}': Permission denied\n`,
    });
    expect(snapshot()).toEqual(before);
  });

  it('ctm_smail -c -q: the notice into an unwritable queue dir fails with the path and the reason', async () => {
    const queue = unwritable('queue');
    const delta = join(dir, DELTA);
    writeFileSync(delta, randomBytes(3000, 3), { mode: 0o644 });
    const before = snapshot();
    const r = await withModes([[queue, 0o555]], () =>
      tool('ctm_smail', ['-c', '1000', '-q', queue, delta, 'ctm-list'], { cwd }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^ctm_smail: cannot open '${escapeRegExp(queue)}/\\.\\d{8}\\.notice' for writing: Permission denied\n$`,
      ),
    );
    expect(snapshot()).toEqual(before);
  });

  it('ctm_dequeue on an unreadable queue dir: the path and the reason, exit 1, the queue untouched', async () => {
    const queue = await queuedDelta();
    const out = usable('out');
    const before = snapshot();
    const r = await withModes([[queue, 0o333]], () =>
      tool('ctm_dequeue', ['-n', '3', '--mbox', join(out, 'mbox'), queue], { cwd }),
    );
    expect(r).toEqual({ code: 1, stdout: '', stderr: `ctm_dequeue: ${queue}: Permission denied\n` });
    expect(snapshot()).toEqual(before);
  });

  it('ctm_dequeue on an unwritable queue dir: the path and the reason, exit 1, nothing sent or claimed', async () => {
    const queue = await queuedDelta();
    const out = usable('out');
    const before = snapshot();
    const r = await withModes([[queue, 0o555]], () =>
      tool('ctm_dequeue', ['-n', '3', '--mbox', join(out, 'mbox'), queue], { cwd }),
    );
    expect(r).toEqual({ code: 1, stdout: '', stderr: `ctm_dequeue: ${queue}: Permission denied\n` });
    expect(snapshot()).toEqual(before);
  });

  it('ctm_rmail with an unreadable input file: the path, exit 1, no piece and no delta', async () => {
    const { mbox } = await mailedDelta();
    const pieces = usable('pieces');
    const deltas = usable('rebuilt');
    const before = snapshot();
    const r = await withModes([[mbox, 0o000]], () =>
      tool('ctm_rmail', ['-p', pieces, '-d', deltas, mbox], { cwd }),
    );
    expect(r).toEqual({ code: 1, stdout: '', stderr: `ctm_rmail: cannot open '${mbox}' for reading\n` });
    expect(snapshot()).toEqual(before);
  });

  it('ctm_rmail with an unwritable piece dir: the path and the reason, exit 1, no piece and no delta', async () => {
    const { mbox } = await mailedDelta();
    const pieces = unwritable('pieces');
    const deltas = usable('rebuilt');
    const before = snapshot();
    const r = await withModes([[pieces, 0o555]], () =>
      tool('ctm_rmail', ['-p', pieces, '-d', deltas, mbox], { cwd }),
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ctm_rmail: piece directory '${pieces}': Permission denied\n`,
    });
    expect(snapshot()).toEqual(before);
  });

  it('ctm_rmail with an unwritable delta dir: the path and the reason, exit 1, no piece and no delta', async () => {
    const { mbox } = await mailedDelta();
    const pieces = usable('pieces');
    const deltas = unwritable('rebuilt');
    const before = snapshot();
    const r = await withModes([[deltas, 0o555]], () =>
      tool('ctm_rmail', ['-p', pieces, '-d', deltas, mbox], { cwd }),
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ctm_rmail: delta directory '${deltas}': Permission denied\n`,
    });
    expect(snapshot()).toEqual(before);
  });

  // As the original's error.c (and ctm_smail.test.ts for a missing log dir): a log that cannot be opened is said on
  // stderr and the lines go there instead; the mail is still processed, so the status is the input's.
  it('ctm_rmail -l into an unwritable log: said with the path on stderr, the lines go there, the log untouched', async () => {
    const { delta, mbox } = await mailedDelta();
    const pieces = usable('pieces');
    const deltas = usable('rebuilt');
    const logs = unwritable('logs');
    const log = join(logs, 'ctm.log');
    writeFileSync(log, 'old line\n', { mode: 0o644 });
    const r = await withModes(
      [
        [logs, 0o555],
        [log, 0o444],
      ],
      () => tool('ctm_rmail', ['-l', log, '-p', pieces, '-d', deltas, mbox], { cwd }),
    );
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: [
        `cannot log to '${log}'`,
        ...[1, 2, 3].map((p) => `${DELTA} ${p}/${PIECES} stored`),
        `${DELTA} complete`,
      ]
        .map((line) => `ctm_rmail: ${line}\n`)
        .join(''),
    });
    expect(readFileSync(log, 'utf8')).toBe('old line\n');
    expect(readdirSync(logs)).toEqual(['ctm.log']);
    expect(readdirSync(pieces)).toEqual([]);
    // `.rebuilt/NAME` remembers the rebuilt delta, so a duplicate delivery of its pieces is dropped.
    expect(readdirSync(deltas).sort()).toEqual(['.rebuilt', DELTA]);
    expect(readFileSync(join(deltas, DELTA)).equals(readFileSync(delta))).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('ctm_rmail -l into an unwritable log with an unreadable input: exit 1, nothing stored, the log untouched', async () => {
    const { mbox } = await mailedDelta();
    const pieces = usable('pieces');
    const deltas = usable('rebuilt');
    const logs = unwritable('logs');
    const log = join(logs, 'ctm.log');
    const before = snapshot();
    const r = await withModes(
      [
        [logs, 0o555],
        [mbox, 0o000],
      ],
      () => tool('ctm_rmail', ['-l', log, '-p', pieces, '-d', deltas, mbox], { cwd }),
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ctm_rmail: cannot log to '${log}'\nctm_rmail: cannot open '${mbox}' for reading\n`,
    });
    expect(snapshot()).toEqual(before);
  });
});
