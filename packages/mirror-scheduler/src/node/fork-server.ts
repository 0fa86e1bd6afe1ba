import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { ExitResult } from '../ports.js';

// A resident helper that forks jobs for us. Forking a small Perl process costs a fraction of forking Node (whose
// page tables are large), which is most of the per-job cost. Requests arrive on stdin as `LENGTH\n` + NUL-separated
// fields; replies go to fd 3 as lines: `S seq pid` once forked, `E pid code signal` once reaped, `F seq reason`.
// A SIGCHLD self-pipe wakes select() at once; because Perl runs signal handlers only between its own operations,
// a SIGCHLD that lands just before select() blocks would wait for the next wake-up, so while jobs run select()
// also times out every 50 ms and reaps (found as a job that never "ended" under load). At end of input it exits without waiting: jobs
// live in process groups of their own and carry on (their locks say so).
// Forking costs in proportion to the helper's size, so it loads no modules but Fcntl (POSIX, IO::Handle and
// warnings would add a third to its memory and ~50 µs to every fork): WNOHANG is 1 wherever Perl runs, setpgrp
// with two arguments is setpgid(2), and POSIX is loaded only on a child's way to _exit after a failure.
const SCRIPT = String.raw`
use strict; use Fcntl ();
open(my $out, '>&=', 3) or die "fd 3: $!"; select((select($out), $| = 1)[0]);
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
for my $fh ($wake_r, $wake_w) { my $fl = fcntl($fh, Fcntl::F_GETFL(), 0); fcntl($fh, Fcntl::F_SETFL(), $fl | Fcntl::O_NONBLOCK()); }
$SIG{CHLD} = sub { syswrite($wake_w, "x") };
my $argv0 = shift @ARGV; my $quiet = shift @ARGV;
my $buf = '';
my $kids = 0;
sub reap { while ((my $p = waitpid(-1, 1)) > 0) { $kids--; print $out "E $p " . ($? >> 8) . " " . ($? & 127) . "\n"; } }
sub start {
  my ($seq, $cwd, $script, $argc, @rest) = split /\0/, $_[0], -1;
  my @args = splice(@rest, 0, $argc);
  my $pid = fork();
  if (!defined $pid) { print $out "F $seq fork: $!\n"; return; }
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT'; close($out); close($wake_r); close($wake_w);
    setpgrp(0, 0);
    open(STDIN, '<', '/dev/null');
    if ($quiet) { open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null'); }
    if (length $cwd && !chdir($cwd)) { print STDERR "$argv0: cannot chdir to $cwd: $!\n"; require POSIX; POSIX::_exit(127); }
    for my $kv (@rest) { my $i = index($kv, '='); $ENV{substr($kv, 0, $i)} = substr($kv, $i + 1) if $i > 0; }
    exec { '/bin/sh' } '/bin/sh', '-c', $script, $argv0, @args;
    print STDERR "$argv0: cannot run /bin/sh: $!\n"; require POSIX; POSIX::_exit(127);
  }
  $kids++;
  setpgrp($pid, $pid);
  print $out "S $seq $pid\n";
}
my $rin = ''; vec($rin, fileno(STDIN), 1) = 1; vec($rin, fileno($wake_r), 1) = 1;
while (1) {
  my $n = select(my $rout = $rin, undef, undef, $kids > 0 ? 0.05 : undef);
  reap();
  next if $n <= 0;
  if (vec($rout, fileno($wake_r), 1)) { my $junk; while (sysread($wake_r, $junk, 512)) {} }
  next unless vec($rout, fileno(STDIN), 1);
  my $got = sysread(STDIN, $buf, 1 << 16, length $buf);
  next if !defined $got && $!{EINTR};
  last if !$got;
  while ($buf =~ /^(\d+)\n/ && length($buf) >= length($1) + 1 + $1) {
    my $len = $1; my $head = length($len) + 1;
    my $req = substr($buf, $head, $len); substr($buf, 0, $head + $len) = '';
    start($req);
  }
}
`;

const PERL = '/usr/bin/perl';
const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Whether process `pid` has ended (a zombie nobody reaps counts as ended). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return /^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A started job of the fork server: its pid and how it ended. */
export interface ForkedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitResult>;
}

/** Whether a fork server can run here. */
export const forkServerAvailable = (): boolean => process.platform !== 'win32' && existsSync(PERL);

/** Forks `/bin/sh -c SCRIPT ARGV0 ARGS...` jobs through a resident helper; see the comment above. */
export class ForkServer {
  readonly #child: ChildProcess;
  readonly #requests: Socket;
  readonly #replies: Socket;
  readonly #starting = new Map<number, { resolve: (p: ForkedProcess) => void; reject: (e: Error) => void }>();
  readonly #exits = new Map<number, (r: ExitResult) => void>();
  #seq = 0;
  #broken: Error | undefined;
  #partial = '';

  constructor(argv0: string, output: 'inherit' | 'ignore', env: NodeJS.ProcessEnv) {
    // A process group of its own: a terminal's Ctrl-C reaches mm, which stops the jobs, not the helper that
    // must report how they ended.
    this.#child = spawn(PERL, ['-e', SCRIPT, argv0, output === 'ignore' ? '1' : ''], {
      stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
      env,
      detached: true,
    });
    this.#requests = this.#child.stdin as Socket;
    this.#replies = this.#child.stdio[3] as Socket;
    this.#replies.setEncoding('utf8');
    this.#replies.on('data', (chunk: string) => this.#onReplies(chunk));
    this.#requests.on('error', (e) => this.#fail(e));
    this.#child.on('error', (e) => this.#fail(e));
    this.#child.on('exit', (code, signal) => this.#fail(new Error(`fork server ended (${signal ?? code})`)));
    this.#idle();
  }

  /** Whether it still works (it fails for good if the helper dies). */
  get usable(): boolean {
    return this.#broken === undefined;
  }

  start(
    cwd: string,
    script: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
  ): Promise<ForkedProcess> {
    if (this.#broken) return Promise.reject(this.#broken);
    const seq = ++this.#seq;
    const fields = [
      String(seq),
      cwd,
      script,
      String(args.length),
      ...args,
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ];
    if (fields.some((f) => f.includes('\0')))
      return Promise.reject(new Error('a NUL byte in a command, argument or variable'));
    const payload = Buffer.from(fields.join('\0'));
    this.#busy();
    return new Promise((resolve, reject) => {
      this.#starting.set(seq, { resolve, reject });
      // One write, so the helper reads the request in one go.
      this.#requests.write(Buffer.concat([Buffer.from(`${payload.length}\n`), payload]));
    });
  }

  #onReplies(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, a = '', b = '', c = ''] = line.split(' ');
      if (kind === 'S') {
        const pending = this.#starting.get(Number(a));
        this.#starting.delete(Number(a));
        const pid = Number(b);
        const exited = new Promise<ExitResult>((resolve) => this.#exits.set(pid, resolve));
        pending?.resolve({ pid, exited });
      } else if (kind === 'E') {
        const pid = Number(a);
        const signal = Number(c);
        this.#exits.get(pid)?.({
          exitCode: signal ? null : Number(b),
          signal: signal ? (signalNames.get(signal) ?? `SIG${signal}`) : null,
        });
        this.#exits.delete(pid);
      } else if (kind === 'F') {
        const pending = this.#starting.get(Number(a));
        this.#starting.delete(Number(a));
        pending?.reject(new Error(line.slice(line.indexOf(' ', 2) + 1)));
      }
    }
    if (this.#starting.size === 0 && this.#exits.size === 0) this.#idle();
  }

  #fail(error: Error): void {
    this.#broken ??= error;
    for (const { reject } of this.#starting.values()) reject(error);
    this.#starting.clear();
    // Nobody will report these ends now: a job counts as ended only once its process is gone, so that its lock
    // is not released while it still runs.
    for (const [pid, resolve] of this.#exits) {
      const poll = setInterval(() => {
        if (!gone(pid)) return;
        clearInterval(poll);
        resolve({ exitCode: null, signal: null, error: `${error.message}; exit status unknown` });
      }, 100);
    }
    this.#exits.clear();
    this.#idle();
  }

  // While no job is in flight the helper must not keep Node's event loop alive.
  #busy(): void {
    this.#child.ref();
    this.#requests.ref();
    this.#replies.ref();
  }

  #idle(): void {
    this.#child.unref();
    this.#requests.unref();
    this.#replies.unref();
  }
}
