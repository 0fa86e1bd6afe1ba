import { closeSync, openSync, writeSync } from 'node:fs';
import { logFileLine } from '@suite/ctm-mail';

/**
 * Where the ctm mail tools' notes and errors go, as the originals' error.c: `prog: message` on stderr, or with -l
 * `YYYY-MM-DD HH:MM message` appended to a log file (if the file cannot be opened, that is said on stderr and
 * stderr is used).
 */
export class Logger {
  readonly prog: string;
  #fd: number | undefined;

  constructor(prog: string) {
    this.prog = prog;
  }

  /** -l: logs to `path` from now on. */
  logTo(path: string): void {
    try {
      this.#fd = openSync(path, 'a', 0o644);
    } catch {
      this.log(`cannot log to '${path}'`);
    }
  }

  /** Logs one line. */
  log = (message: string): void => {
    if (this.#fd === undefined) {
      writeSync(2, `${this.prog}: ${message}\n`);
    } else {
      writeSync(this.#fd, `${logFileLine(new Date(), message)}\n`);
    }
  };

  /** Closes the log file, if any. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Prints the originals' usage line (and this suite's extra options) on stderr; returns the exit status 1. */
export function usage(prog: string, synopsis: string, extra: string | undefined, problem?: string): number {
  if (problem) process.stderr.write(`${prog}: ${problem}\n`);
  process.stderr.write(usageText(prog, synopsis, extra));
  return 1;
}

/** `usage: PROG SYNOPSIS`, and the suite's additions aligned under it. */
export function usageText(prog: string, synopsis: string, extra: string | undefined): string {
  return `usage: ${prog} ${synopsis}\n${extra ? `       ${' '.repeat(prog.length)} ${extra}\n` : ''}`;
}
