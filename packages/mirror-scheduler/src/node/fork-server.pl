#!/usr/bin/perl
# mm's fork helper: forks jobs for a Node scheduler (see fork-server.ts, which starts it as
#   perl fork-server.pl ARGV0 QUIET
# with requests on stdin and replies on fd 3; the framing is in src/fork-protocol.ts).
# A resident helper that forks jobs for us. Forking a small Perl process costs a fraction of forking Node (whose
# page tables are large), which is most of the per-job cost. Requests arrive on stdin as `LENGTH\n` + NUL-separated
# fields; replies go to fd 3 as lines: `S seq pid` once forked, `E pid code signal` once reaped, `F seq reason`.
# A SIGCHLD self-pipe wakes select() at once; because Perl runs signal handlers only between its own operations,
# a SIGCHLD that lands just before select() blocks would wait for the next wake-up, so while jobs run select()
# also times out every 50 ms and reaps (found as a job that never "ended" under load). At end of input (the scheduler
# ended, or was killed) it reads no more requests and exits once its last job has ended: the scheduler's job locks
# name this helper as an adopted process (so that no per-job adoption is needed), so while the helper lives, they
# stay held; the jobs live in process groups of their own and carry on.
# A standby request (seq field `wK:SEQ`) is started once fewer than K of its jobs run, in the order such requests
# came, right after a reap: a freed slot is refilled without waiting for the scheduler (`c:SEQ` withdraws one).
# Forking costs in proportion to the helper's size, so it loads no modules but Fcntl (POSIX, IO::Handle and
# warnings would add a third to its memory and ~50 µs to every fork): WNOHANG is 1 wherever Perl runs, setpgrp
# with two arguments is setpgid(2), and POSIX is loaded only on a child's way to _exit after a failure.

use strict; use Fcntl ();
open(my $out, '>&=', 3) or die "fd 3: $!"; select((select($out), $| = 1)[0]);
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
for my $fh ($wake_r, $wake_w) { my $fl = fcntl($fh, Fcntl::F_GETFL(), 0); fcntl($fh, Fcntl::F_SETFL(), $fl | Fcntl::O_NONBLOCK()); }
$SIG{CHLD} = sub { syswrite($wake_w, "x") };
# Once the scheduler is gone, replies go nowhere: that must not kill the helper while its jobs run.
$SIG{PIPE} = 'IGNORE';
my $argv0 = shift @ARGV; my $quiet = shift @ARGV; my $linger = shift @ARGV;
my $buf = '';
my $kids = 0;
sub reap { while ((my $p = waitpid(-1, 1)) > 0) { $kids--; print $out "E $p " . ($? >> 8) . " " . ($? & 127) . "\n"; } }
# Standby requests (seq field `wK:SEQ`) wait here until fewer than K jobs run; `c:SEQ` withdraws one.
my @standby;
sub request {
  my ($req) = @_;
  if ($req =~ /^c:(\d+)$/) {
    my $seq = $1; my $n = @standby;
    @standby = grep { $_->[1] != $seq } @standby;
    print $out "F $seq cancelled\n" if @standby < $n;
    return;
  }
  if ($req =~ /^w(\d+):(\d+)\0/) { push @standby, [$1, $2, substr($req, length("w$1:"))]; return; }
  start($req);
}
sub refill { while (@standby && $kids < $standby[0][0]) { start((shift @standby)->[2]); } }
sub start {
  my ($seq, $cwd, $script, $argc, @rest) = split /\0/, $_[0], -1;
  my @args = splice(@rest, 0, $argc);
  my $pid = fork();
  if (!defined $pid) { print $out "F $seq fork: $!\n"; return; }
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT'; $SIG{PIPE} = 'DEFAULT'; close($out); close($wake_r); close($wake_w);
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
my $eof = 0;
my $rin = ''; vec($rin, fileno(STDIN), 1) = 1; vec($rin, fileno($wake_r), 1) = 1;
while (1) {
  my $n = select(my $rout = $rin, undef, undef, $kids > 0 ? 0.05 : undef);
  reap();
  last if $eof && $kids <= 0;
  if ($n > 0 && vec($rout, fileno($wake_r), 1)) { my $junk; while (sysread($wake_r, $junk, 512)) {} }
  # Requests (a withdrawal among them) are read before a freed slot is refilled.
  if ($n > 0 && vec($rout, fileno(STDIN), 1)) {
    my $got = sysread(STDIN, $buf, 1 << 16, length $buf);
    if (defined $got && !$got) { last if $kids <= 0 || !$linger; $eof = 1; @standby = (); vec($rin, fileno(STDIN), 1) = 0; next; }
    while ($buf =~ /^(\d+)\n/ && length($buf) >= length($1) + 1 + $1) {
      my $len = $1; my $head = length($len) + 1;
      my $req = substr($buf, $head, $len); substr($buf, 0, $head + $len) = '';
      request($req);
    }
  }
  refill() unless $eof;
}
