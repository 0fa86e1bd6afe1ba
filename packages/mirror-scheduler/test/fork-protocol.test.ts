import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  encodeForkCancel,
  encodeForkRequest,
  type ForkReply,
  ForkReplyDecoder,
  ForkRequestError,
  parseForkReply,
} from '../src/fork-protocol.js';
import { forkServerAvailable, shellExecutor } from '../src/node/index.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const PERL = '/usr/bin/perl';
const SCRIPT = join(import.meta.dirname, '../src/node/fork-server.pl');
const perlMissing = !existsSync(PERL) && process.env.CI !== 'true';

describe('encodeForkRequest', () => {
  it('frames the byte length, a newline, then NUL-separated seq, cwd, script, argc, args and NAME=value', () => {
    const bytes = encodeForkRequest(1, '/srv', 'echo "$1"', ['hi'], { LANG: 'C' });
    expect(text(bytes)).toBe('28\n1\0/srv\0echo "$1"\x001\0hi\0LANG=C');
  });

  it('counts bytes, not characters, so that UTF-8 survives', () => {
    const bytes = encodeForkRequest(7, '', 'echo é', [], {});
    const [length, body] = text(bytes).split('\n');
    expect(Number(length)).toBe(new TextEncoder().encode(body).length);
    expect(Number(length)).toBe(12); // "é" is two bytes
  });

  it('refuses NUL bytes and malformed variable names with a coded error', () => {
    expect(() => encodeForkRequest(1, '', 'a\0b', [], {})).toThrow(ForkRequestError);
    expect(() => encodeForkRequest(1, '', 'x', ['\0'], {})).toThrow(
      'a NUL byte in a command, argument or variable',
    );
    try {
      encodeForkRequest(1, '', 'x', [], { 'A=B': '1' });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'EFORKREQUEST', message: 'not an environment variable name: A=B' });
    }
  });
});

describe('ForkReplyDecoder', () => {
  it('parses started, exited and failed replies', () => {
    expect(parseForkReply('S 3 4242')).toEqual({ kind: 'started', seq: 3, pid: 4242 });
    expect(parseForkReply('E 4242 3 0')).toEqual({ kind: 'exited', pid: 4242, exitCode: 3, signal: 0 });
    expect(parseForkReply('E 4242 0 15')).toEqual({ kind: 'exited', pid: 4242, exitCode: 0, signal: 15 });
    expect(parseForkReply('F 9 fork: Resource temporarily unavailable')).toEqual({
      kind: 'failed',
      seq: 9,
      reason: 'fork: Resource temporarily unavailable',
    });
  });

  it('drops what is not a reply rather than guessing', () => {
    for (const line of ['', 'S', 'S 1', 'S x 2', 'E 1 2', 'E 1 2 3 4', 'X 1 2', 'F x oops', 's 1 2'])
      expect(parseForkReply(line)).toBeUndefined();
  });

  it('joins replies split anywhere across chunks, in order', () => {
    const stream = 'S 1 100\nE 100 0 0\nF 2 fork: no\nS 3 101\n';
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new ForkReplyDecoder();
      const replies: ForkReply[] = [
        ...decoder.push(stream.slice(0, cut)),
        ...decoder.push(stream.slice(cut)),
      ];
      expect(replies.map((r) => r.kind)).toEqual(['started', 'exited', 'failed', 'started']);
      expect(decoder.pending).toBe('');
    }
  });
});

describe.skipIf(perlMissing)('fork-server.pl', () => {
  it('compiles (perl -c), from the sources and as shipped in dist/', async () => {
    const { stderr } = await promisify(execFile)(PERL, ['-c', SCRIPT]);
    expect(stderr).toContain('syntax OK');
    const shipped = join(import.meta.dirname, '../dist/fork-server.pl');
    if (existsSync(shipped)) expect(await readFile(shipped, 'utf8')).toBe(await readFile(SCRIPT, 'utf8'));
  });

  it('speaks the codec: a framed request starts the script and its end comes back as replies', async () => {
    const child = spawn(PERL, [SCRIPT, 'mm', '1'], { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
    const decoder = new ForkReplyDecoder();
    const replies: ForkReply[] = [];
    const done = new Promise<void>((resolve) => {
      child.stdio[3]!.on('data', (chunk: Buffer) => {
        replies.push(...decoder.push(chunk.toString('utf8')));
        if (replies.filter((r) => r.kind === 'exited').length === 2) resolve();
      });
    });
    child.stdin!.write(encodeForkRequest(1, '/', 'exit "$1"', ['7'], {}));
    child.stdin!.write(encodeForkRequest(2, '/', 'kill -TERM $$', [], { X: 'y' }));
    await done;
    child.stdin!.end();
    const started = new Map(replies.flatMap((r) => (r.kind === 'started' ? [[r.seq, r.pid]] : [])));
    const exits = new Map(replies.flatMap((r) => (r.kind === 'exited' ? [[r.pid, r]] : [])));
    expect(exits.get(started.get(1)!)).toMatchObject({ exitCode: 7, signal: 0 });
    expect(exits.get(started.get(2)!)).toMatchObject({ signal: 15 });
  });
});

describe.skipIf(perlMissing)('fork-server.pl standby requests', () => {
  it('start the moment fewer than K jobs run, in the order they came; a withdrawn one never starts', async () => {
    const child = spawn(PERL, [SCRIPT, 'mm', '1'], { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
    const decoder = new ForkReplyDecoder();
    const log: { reply: ForkReply; at: number }[] = [];
    let wake = () => {};
    child.stdio[3]!.on('data', (chunk: Buffer) => {
      for (const reply of decoder.push(chunk.toString('utf8'))) log.push({ reply, at: Date.now() });
      wake();
    });
    const until = async (ok: () => boolean) => {
      while (!ok()) await new Promise<void>((resolve) => (wake = resolve));
    };
    const started = (seq: number) =>
      log.find((l) => l.reply.kind === 'started' && l.reply.seq === seq) as
        | { reply: { pid: number }; at: number }
        | undefined;
    try {
      child.stdin!.write(encodeForkRequest(1, '/', 'sleep 0.3', [], {}));
      await until(() => started(1) !== undefined);
      // One job runs: standby below 1 waits for its end; the next two queue behind it; 4 is withdrawn.
      child.stdin!.write(encodeForkRequest(2, '/', 'sleep 0.1', [], {}, 1));
      child.stdin!.write(encodeForkRequest(3, '/', 'true', [], {}, 1));
      child.stdin!.write(encodeForkRequest(4, '/', 'true', [], {}, 1));
      child.stdin!.write(encodeForkCancel(4));
      await until(() => log.some((l) => l.reply.kind === 'failed' && l.reply.seq === 4));
      expect(started(2)).toBeUndefined();
      await until(() => started(3) !== undefined);
      const end = (pid: number) => log.find((l) => l.reply.kind === 'exited' && l.reply.pid === pid)!;
      const first = end(started(1)!.reply.pid);
      expect(log.indexOf(first)).toBeLessThan(log.indexOf(started(2) as (typeof log)[number]));
      expect(log.indexOf(end(started(2)!.reply.pid))).toBeLessThan(
        log.indexOf(started(3) as (typeof log)[number]),
      );
      expect(log.find((l) => l.reply.kind === 'failed')?.reply).toEqual({
        kind: 'failed',
        seq: 4,
        reason: 'cancelled',
      });
      expect(started(4)).toBeUndefined();
    } finally {
      child.stdin!.end();
    }
  });
});

describe.skipIf(perlMissing)('fork-server.pl once its input ends (the scheduler ended or was killed)', () => {
  const alive = (pid: number) =>
    readFile(`/proc/${pid}/stat`, 'utf8').then(
      (stat) => !/^\d+ \(.*\) [ZX]/.test(stat),
      () => false,
    );
  it('waits for its running jobs before it exits, though nobody reads its replies any more (outliveScheduler)', async () => {
    const child = spawn(PERL, [SCRIPT, 'mm', '1', '1'], { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
    const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(Date.now())));
    const decoder = new ForkReplyDecoder();
    const started = new Promise<number>((resolve) => {
      child.stdio[3]!.on('data', (chunk: Buffer) => {
        for (const r of decoder.push(chunk.toString('utf8'))) if (r.kind === 'started') resolve(r.pid);
      });
    });
    child.stdin!.write(encodeForkRequest(1, '/', 'sleep 0.5', [], {}));
    const job = await started;
    // As when the scheduler is killed: its end of both pipes closes.
    child.stdin!.end();
    (child.stdio[3] as import('node:net').Socket).destroy();
    const inputEnded = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await alive(child.pid!)).toBe(true);
    expect(await alive(job)).toBe(true);
    const helperEnded = await exited;
    expect(await alive(job)).toBe(false);
    expect(helperEnded - inputEnded).toBeGreaterThanOrEqual(300);
  });

  it('exits as soon as its input ends while a job runs, when told not to outlive the scheduler (a fleet worker)', async () => {
    const child = spawn(PERL, [SCRIPT, 'mm', '1', ''], { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const decoder = new ForkReplyDecoder();
    const started = new Promise<number>((resolve) => {
      child.stdio[3]!.on('data', (chunk: Buffer) => {
        for (const r of decoder.push(chunk.toString('utf8'))) if (r.kind === 'started') resolve(r.pid);
      });
    });
    child.stdin!.write(encodeForkRequest(1, '/', 'sleep 2', [], {}));
    const job = await started;
    child.stdin!.end();
    expect(await exited).toBe(0);
    // The job, in its own process group, is not the helper's to stop (a fleet job dies by its death signal).
    expect(await alive(job)).toBe(true);
    process.kill(-job, 'SIGKILL');
  });

  it('exits at once when no job runs', async () => {
    const child = spawn(PERL, [SCRIPT, 'mm', '1'], { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdin!.end();
    expect(await exited).toBe(0);
  });
});

describe('shellExecutor', () => {
  it('defaults to Node spawn: the job is a child of this process, not of a Perl helper', async () => {
    const running = await shellExecutor({ output: 'ignore' }).start({ id: 'a', command: 'sleep 0.3' });
    const stat = await readFile(`/proc/${running.pid}/stat`, 'utf8');
    expect(Number(stat.split(') ')[1]!.split(' ')[1])).toBe(process.pid);
    await running.exited;
  });

  it.skipIf(perlMissing)('forkServerAvailable() finds Perl and the helper script', () => {
    expect(forkServerAvailable()).toBe(true);
  });
});
