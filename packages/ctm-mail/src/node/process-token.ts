import { isProcessAlive as isRunning, processStartTime } from '@suite/internal/node';

/**
 * A token naming a process: `PID-START` (its start time in clock ticks since boot, from /proc on Linux), or just
 * `PID` where there is no /proc. Written into the names of files a process owns (`.claim.TOKEN.NAME`), it lets
 * another process tell the owner from a stranger that was given the same pid later.
 * @example
 * processToken(); // '4242-1234567' on Linux
 */
export function processToken(pid: number = process.pid): string {
  const start = processStartTime(pid);
  return start === undefined ? String(pid) : `${pid}-${start}`;
}

/**
 * Whether the process a {@link processToken} names still runs: `kill(pid, 0)` finds it, it is no zombie, and it
 * started when the token says (a pid reused by another process is dead for this). A bare `PID` is checked by pid.
 * @example
 * if (!isProcessAlive('4242-1234567')) recoverWhatItOwned();
 */
export function isProcessAlive(token: string): boolean {
  const m = /^(\d+)(?:-(\d+))?$/.exec(token);
  if (!m) return false;
  const start = m[2] === undefined ? undefined : Number(m[2]);
  return isRunning(Number(m[1]), start);
}
