// Fuzz every command's edges: random argument vectors (each tool's own options, their values, junk, paths in a
// scratch directory) and random standard input, in a fresh temporary directory each. No input of any kind may
// produce `internal error` or a stack trace. The seed is printed; FUZZ_SEED=N replays a run, FUZZ_RUNS=N sizes it.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bin } from './_support.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const RUNS_PER_TOOL = Number(process.env.FUZZ_RUNS ?? 25);
const TIMEOUT_MS = 8000;
const PARALLEL = 4;
const STACK =
  /internal error|^\s+at .+:\d+:\d+\)?$|Unhandled|node:internal|node:events|TypeError|RangeError|ReferenceError/m;

const root = mkdtempSync(join(tmpdir(), 'cli-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Each tool's vocabulary: its options (with and without values) and the words that mean something to it. */
const VOCABULARY: Record<string, string[]> = {
  suite: ['--help', '-h', 'help', '--version', 'uuidgen', 'nosuchtool', 'ctm', 'lock', '-V'],
  uuidgen: [
    '-r',
    '-t',
    '-6',
    '-7',
    '-m',
    '-s',
    '-n',
    '@dns',
    '@url',
    '@foo',
    '-N',
    '-x',
    '-C',
    '0',
    '3',
    '-1',
    '99999999999999999999',
    'abc',
    '--count',
    '--md5',
    '--sha1',
    '--namespace',
    '--name',
    '--hex',
    '--time-v7',
    '-7C3',
    '--random',
    '--co',
    '-V',
    '-h',
    '--',
    '-q',
    'ff',
    'zz',
  ],
  uuidparse: [
    '-J',
    '--json',
    '-n',
    '-o',
    'UUID,TYPE',
    '+TIME',
    'X',
    '-r',
    '--raw',
    '--output',
    'uuid,variant,type,time,uuid,uuid,uuid,uuid,uuid',
    '00000000-0000-0000-0000-000000000000',
    'c232ab00-9414-11ec-b3c8-9f6bdeced846',
    'bad',
    '{x}',
    '-h',
    '-V',
    '--',
  ],
  // No -T: every uuidd of the fuzz keeps the idle timeout argvFor gives it, so none outlives its run.
  uuidd: [
    '-t',
    '-r',
    '-n',
    '5',
    '0',
    '-1',
    '70000',
    '-k',
    '-d',
    '-q',
    '-P',
    '-F',
    '0',
    '1',
    'x',
    '-S',
    '--workers',
    '2',
    '--no-pid',
    '--uuids',
    '--cont-clock',
    '--cont-clock=1h',
    '-C',
    '-V',
    '-h',
    '-s',
    'sock2',
    '-p',
    'pid2',
  ],
  lock: [
    '-w',
    '0',
    '0.1',
    '-1',
    'abc',
    '-n',
    '--nb',
    '-E',
    '7',
    '300',
    '--stale',
    '-c',
    'exit 3',
    '-x',
    '-s',
    '-u',
    '-o',
    '--verbose',
    '--timeout',
    '--',
    'true',
    'false',
    '',
    'nosuchcommand',
    'L',
    'sub/L',
    '-V',
    '-h',
    '--conflict-exit-code',
  ],
  mm: [
    '-t',
    '-o',
    'a:b',
    '-oa:b',
    '-debug',
    '-s',
    '--status',
    '--json',
    '--dry-run',
    '--why',
    'a:b',
    '--quiet',
    '--grace',
    '0',
    '-5',
    '--nope',
    'conf',
    'missing.conf',
    '-',
    '--',
    '-v',
    '--help=x',
  ],
  pkgs_to_mmin: ['-y', '-n', '24', '0', '-3', 'x', '-y5', '-nq', 'packages', 'missing', '--', '-', '--help'],
  ctm_smail: [
    '-l',
    'log',
    '-m',
    '0',
    '100',
    '64000',
    '-c',
    '10',
    '-q',
    'queue',
    'delta.0001.gz',
    'alias',
    'x',
    '--mbox',
    'mbox',
    '--sendmail',
    '/bin/false',
    '-z',
    '--',
  ],
  ctm_dequeue: [
    '-l',
    'log',
    '-n',
    '0',
    '2',
    '-5',
    'queue',
    'missing',
    '--mbox',
    'mbox',
    '--sendmail',
    '/bin/false',
    '--',
  ],
  ctm_rmail: [
    '-D',
    '-f',
    '-u',
    '-v',
    '-p',
    'pieces',
    '-d',
    'deltas',
    '-b',
    'tree',
    '-l',
    'log',
    'mbox',
    'missing',
    '--ctm',
    '/bin/false',
    '-',
  ],
  ctm: [
    '-c',
    '-F',
    '-k',
    '-l',
    '-q',
    '-u',
    '-v',
    '-b',
    'tree',
    '-B',
    'backup.tar',
    '-t',
    'cat %s',
    '-e',
    '^a',
    '-x',
    '[',
    '-V',
    '3',
    '-T',
    'tmp',
    '-p',
    '-P',
    'delta.0001.gz',
    'missing.gz',
    'diff',
    'old',
    'new',
    'n',
    '1',
    '-o',
    'out.gz',
    '-d',
    '2026',
    '-I',
    '(',
  ],
};

function xorshift(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function junk(rand: () => number, max: number): string {
  // Every byte an argument can hold (not NUL, which no argv can carry).
  const alphabet = 'abc-=,:/.@%$\\\'" \t\n\u00e9\u2603\x01\x1b0123456789';
  let s = '';
  const n = Math.floor(rand() * max);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

function argvFor(tool: string, rand: () => number): string[] {
  const words = VOCABULARY[tool]!;
  const argv: string[] = [];
  const n = Math.floor(rand() * 7);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.75) argv.push(words[Math.floor(rand() * words.length)]!);
    else if (r < 0.9) argv.push(junk(rand, 12));
    else argv.push(`-${junk(rand, 3)}`);
  }
  // uuidd must never touch the system's /run/uuidd or outlive the test: its own socket, pid file, idle timeout.
  if (tool === 'uuidd') return ['-s', 'sock', '-p', 'pid', '--clock-file', 'clock', '-T', '1', ...argv];
  return argv;
}

function stdinFor(rand: () => number): Buffer {
  const r = rand();
  if (r < 0.3) return Buffer.alloc(0);
  if (r < 0.5)
    return Buffer.from(Array.from({ length: Math.floor(rand() * 4096) }, () => Math.floor(rand() * 256)));
  const lines = [
    'max=2',
    'mirror=true',
    'a:b 1 1',
    'cmd=true',
    'home=.',
    'skip=a:b',
    'package=x',
    'site=y',
    'c232ab00-9414-11ec-b3c8-9f6bdeced846',
    'CTM_MAIL BEGIN x.0001.gz 1 1',
    'CTM_MAIL END 1',
    'From a@b Thu Jan  1 00:00:00 2026',
    'EXIT',
  ];
  return Buffer.from(
    Array.from({ length: Math.floor(rand() * 12) }, () =>
      rand() < 0.8 ? lines[Math.floor(rand() * lines.length)] : junk(rand, 40),
    ).join('\n'),
  );
}

/** A scratch directory with the files the vocabularies name. */
function scratch(n: number): string {
  const dir = join(root, `run${n}`);
  mkdirSync(dir);
  for (const d of ['queue', 'pieces', 'deltas', 'tree', 'old', 'new', 'packages']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'conf'), 'max=2\nmirror=true\nsite.example:pkg 1 1\n');
  writeFileSync(join(dir, 'packages', 'p'), 'package=x\nsite=y\n');
  writeFileSync(join(dir, 'delta.0001.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
  writeFileSync(join(dir, 'mbox'), 'From a@b Thu Jan  1 00:00:00 2026\nSubject: x\n\nCTM_MAIL BEGIN\n');
  writeFileSync(join(dir, 'new', 'file'), 'x\n');
  return dir;
}

interface Outcome {
  tool: string;
  argv: string[];
  output: string;
  timedOut: boolean;
}

function runOnce(tool: string, argv: string[], input: Buffer, cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin(tool), ...argv], {
      cwd,
      env: { ...process.env, SENDMAIL: '/bin/false', CTM: '/bin/false', TZ: 'UTC' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group: a timeout kills whatever it started too
    });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (d) => {
      if (output.length < 65536) output += d;
    });
    child.stderr.on('data', (d) => {
      if (output.length < 65536) output += d;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, TIMEOUT_MS);
    child.on('error', (error) => {
      output += `spawn failed: ${error.message}`;
    });
    child.on('close', () => {
      clearTimeout(timer);
      // A uuidd that detached is stopped here whatever it was asked to do (its pid file is `pid` or `pid2`).
      for (const name of ['pid', 'pid2']) {
        try {
          const pid = Number(readFileSync(join(cwd, name), 'utf8'));
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          // no daemon
        }
      }
      resolve({ tool, argv, output, timedOut });
    });
  });
}

describe(`fuzzing every command (seed ${SEED}; replay with FUZZ_SEED=${SEED})`, () => {
  it(`runs ${RUNS_PER_TOOL} random argument vectors and inputs per command without a stack trace`, async () => {
    const rand = xorshift(SEED);
    const jobs: (() => Promise<Outcome>)[] = [];
    let n = 0;
    for (const tool of Object.keys(VOCABULARY)) {
      for (let i = 0; i < RUNS_PER_TOOL; i++) {
        const argv = argvFor(tool, rand);
        const input = stdinFor(rand);
        const dir = scratch(n++);
        jobs.push(() => runOnce(tool, argv, input, dir));
      }
    }
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < jobs.length) outcomes.push(await jobs[next++]!());
      }),
    );
    const crashed = outcomes.filter((o) => STACK.test(o.output));
    const report = crashed
      .map((o) => `${o.tool} ${JSON.stringify(o.argv)}:\n${o.output.slice(0, 1500)}`)
      .join('\n---\n');
    expect(crashed.length, `seed ${SEED}; stack traces:\n${report}`).toBe(0);
    expect(outcomes).toHaveLength(jobs.length);
  }, 600_000);
});
