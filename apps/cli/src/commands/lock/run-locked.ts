import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { errnoText } from '@suite/internal';
import type { LockHandle } from '@suite/lockfile/node';

/** EX_UNAVAILABLE, what flock(1) exits with when the command cannot be executed. */
export const EXIT_CANNOT_EXECUTE = 69;
/** EX_OSERR, flock's status when the command cannot be executed for want of memory. */
const EX_OSERR = 71;

/** The status a shell reports for a child that exited with `code` or was killed by `signal`. */
export function statusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

function started(child: ChildProcess): Promise<Error | undefined> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
}

/**
 * Runs `argv` while `lock` is held and resolves to its exit status. The child is adopted by the lock, so that if
 * this process is killed outright the lock stays held until the child exits, as flock(1)'s inherited descriptor
 * would. Meanwhile SIGINT and SIGQUIT are ignored here (the terminal sends them to the child as well, as for
 * system(3)), and SIGTERM and SIGHUP are passed on to the child; the lock is released once it has exited.
 */
export async function runLocked(
  lock: LockHandle,
  argv: readonly string[],
  report: (line: string) => void,
  { adopt = true }: { adopt?: boolean } = {},
): Promise<number> {
  const [file, ...args] = argv as [string, ...string[]];
  const ignore = () => {};
  let child: ChildProcess | undefined;
  const forward = (signal: NodeJS.Signals) => child?.kill(signal);
  const handlers = {
    SIGINT: ignore,
    SIGQUIT: ignore,
    SIGTERM: () => forward('SIGTERM'),
    SIGHUP: () => forward('SIGHUP'),
  } as const;
  for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
  try {
    let failure: Error | undefined;
    let exit: Promise<number> = Promise.resolve(EXIT_CANNOT_EXECUTE);
    try {
      // Node refuses an empty name before trying; execvp(3) says ENOENT, as flock reports it.
      if (file === '') throw Object.assign(new Error('empty file name'), { code: 'ENOENT' });
      child = spawn(file, args, { stdio: 'inherit' });
      const running = child;
      exit = new Promise<number>((resolve) =>
        running.once('exit', (code, signal) => resolve(statusOf(code, signal))),
      );
      failure = await started(running);
    } catch (error) {
      failure = error as Error; // thrown at once for some errors (ENAMETOOLONG)
    }
    if (failure !== undefined) {
      const code = (failure as NodeJS.ErrnoException).code;
      report(`failed to execute ${file}: ${errnoText(code) ?? failure.message}`);
      return code === 'ENOMEM' ? EX_OSERR : EXIT_CANNOT_EXECUTE;
    }
    if (!adopt) return await exit;
    await lock.adopt(child!.pid!).catch((error: unknown) => {
      // A compromised lock has already been reported through onCompromised.
      if ((error as { code?: string }).code === 'ECOMPROMISED') return;
      report(`warning: the lock could not record ${file}'s pid: ${(error as Error).message}`);
    });
    return await exit;
  } finally {
    for (const [signal, handler] of Object.entries(handlers)) process.off(signal, handler);
    await lock.release();
  }
}
