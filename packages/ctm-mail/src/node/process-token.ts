import { readFileSync, statSync } from 'node:fs';

/**
 * A token naming a process: `PID-START` (its start time in clock ticks since boot, from /proc on Linux), or just
 * `PID` where there is no /proc. Written into the names of files a process owns (`.claim.TOKEN.NAME`), it lets
 * another process tell the owner from a stranger that was given the same pid later.
 * @example
 * processToken(); // '4242-1234567' on Linux
 */
export function processToken(pid: number = process.pid): string {
  const start = startTimeOf(pid);
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
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists, and belongs to another user.
  }
  if (!hasProc) return true;
  const stat = procStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return m[2] === undefined || String(stat.startTime) === m[2];
}

const hasProc = (() => {
  try {
    return statSync('/proc/self/stat').isFile();
  } catch {
    return false;
  }
})();

function startTimeOf(pid: number): number | undefined {
  return hasProc ? procStat(pid)?.startTime : undefined;
}

/** /proc/PID/stat's state and start time; the command name (field 2) may hold spaces, so count from its ')'. */
function procStat(pid: number): { state: string; startTime: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', startTime: Number(fields[19]) };
}
