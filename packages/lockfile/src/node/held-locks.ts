import type { HeldLocks } from '../ports.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type ExitSignal = (typeof SIGNALS)[number];

const releasers = new Set<() => void>();
let installed = false;

function releaseAll(): void {
  for (const release of [...releasers]) {
    try {
      release();
    } catch {
      // Best effort while the process goes away; the next owner will find the lock stale.
    }
  }
}

function onSignal(signal: ExitSignal): void {
  // If someone else listens, the signal does not end the process: they decide, and 'exit' releases later.
  if (process.listenerCount(signal) > 1) return;
  releaseAll();
  // We were the only listener, which suppressed the default action: restore it and raise the signal again.
  uninstall();
  process.kill(process.pid, signal);
}

const handlers = Object.fromEntries(SIGNALS.map((signal) => [signal, () => onSignal(signal)])) as Record<
  ExitSignal,
  () => void
>;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', releaseAll);
  for (const signal of SIGNALS) process.on(signal, handlers[signal]);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', releaseAll);
  for (const signal of SIGNALS) process.off(signal, handlers[signal]);
}

/**
 * The process's held locks: released on normal exit and on SIGINT/SIGTERM/SIGHUP. The handlers are installed
 * with the first lock, so a process that never locks keeps its signals untouched; once installed they stay (a
 * signal that arrives while no lock is held still gets its default action, re-raised).
 */
export const processHeldLocks: HeldLocks = {
  hold(releaseNow) {
    releasers.add(releaseNow);
    install();
    return () => {
      releasers.delete(releaseNow);
    };
  },
};
