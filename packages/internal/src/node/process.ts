import { readFileSync, statSync } from 'node:fs';

/** A process's state letter and start time (clock ticks since boot), from Linux's /proc/PID/stat. */
export interface ProcStat {
  readonly state: string;
  /** -1 when the field is not a number. */
  readonly startTime: number;
}

/** Whether this system has Linux's /proc (checked once). */
export const hasProc: boolean = (() => {
  try {
    return statSync('/proc/self/stat').isFile();
  } catch {
    return false;
  }
})();

/**
 * Linux: the state and start time of process `pid` from /proc/PID/stat; undefined when unreadable (no such
 * process, or no /proc).
 * @example
 * procStat(process.pid)?.state; // 'R'
 */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = Number(fields[19]);
  return { state: fields[0] ?? '', startTime: Number.isFinite(startTime) ? startTime : -1 };
}

/**
 * The start time of process `pid` in clock ticks since boot (Linux), or undefined where there is no /proc or no
 * such process. With the pid it names one process: a pid given to another process later has another start time.
 * @example
 * processStartTime(process.pid); // 1234567
 */
export function processStartTime(pid: number): number | undefined {
  return hasProc ? procStat(pid)?.startTime : undefined;
}

/**
 * Whether process `pid` runs: `kill(pid, 0)` finds it (EPERM: it does, as another user's), and on Linux it is no
 * zombie and, when `startTime` is given, it started then (a reused pid is another process: not alive).
 * @example
 * isProcessAlive(process.pid); // true
 */
export function isProcessAlive(pid: number, startTime?: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists but belongs to another user.
  }
  if (!hasProc) return true;
  const stat = procStat(pid);
  if (stat === undefined) return false; // exited between the two looks
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}
