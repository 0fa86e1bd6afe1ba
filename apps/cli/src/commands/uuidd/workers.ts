// Serving processes beside the daemon: they accept on the daemon's own listening socket (passed as their fd 4),
// so requests are served on several cores. Each has its own v1 generator, with its own node and its own clock state
// file, so no two processes can ever produce the same (timestamp, clock sequence, node).
import { type ChildProcess, fork } from 'node:child_process';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { UuiddServer } from '@suite/uuid/uuidd/node';

/** Marks a serving process; the value is its index (1, 2, ...). */
const WORKER_ENV = 'SUITE_UUIDD_WORKER';

/** Where a serving process finds the listening socket. */
const LISTEN_FD = 4;

/** Serving processes report activity (for the daemon's -T idle timer) at most this often. */
const ACTIVITY_REPORT_MS = 500;

/** The index of this serving process, or undefined when it is not one. */
export function workerIndex(): number | undefined {
  const value = process.env[WORKER_ENV];
  return value === undefined || typeof process.send !== 'function' ? undefined : Number(value);
}

/** Serving processes started by the daemon. */
export interface Workers {
  /** Asks every serving process to stop (they also stop by themselves when the daemon dies). */
  stop(): void;
}

/**
 * Starts `count` serving processes (this same program, with `argv`) and hands each the listening socket. `onActive`
 * is called when one of them has served clients lately.
 */
export function startWorkers(
  count: number,
  argv: readonly string[],
  server: Server,
  onActive: () => void,
): Workers {
  const bin = fileURLToPath(new URL('../bin/uuidd.js', import.meta.url));
  // The socket goes in as a plain file descriptor rather than as a handle over IPC: a handle sent over IPC is
  // listened on again with Node's default backlog (511), which would shrink the daemon's.
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  const children: ChildProcess[] = [];
  if (fd === undefined || fd < 0) return { stop() {} }; // not on this platform: the daemon serves alone
  for (let index = 1; index <= count; index++) {
    const child = fork(bin, [...argv], {
      env: { ...process.env, [WORKER_ENV]: String(index) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc', fd],
    });
    child.on('message', (message: { type?: string }) => {
      if (message.type === 'active') onActive();
    });
    child.on('error', () => {});
    children.push(child);
  }
  return {
    stop() {
      for (const child of children) if (child.connected) child.disconnect();
    },
  };
}

/**
 * The life of a serving process: serve the socket with `makeServer` (which calls `onConnection` for each client,
 * for the daemon's idle timer), and stop when the daemon disconnects (it stopped, or it was killed) or on a
 * termination signal.
 */
export function runWorker(
  makeServer: (
    listening: { fd: number },
    daemonPid: number,
    onConnection: () => void,
  ) => Promise<UuiddServer>,
): Promise<number> {
  return new Promise((done) => {
    let served: UuiddServer | undefined;
    let active = false;
    const report = setInterval(() => {
      if (active && process.connected) process.send?.({ type: 'active' });
      active = false;
    }, ACTIVITY_REPORT_MS);
    report.unref();
    const stop = async () => {
      clearInterval(report);
      await served?.close();
      done(0);
    };
    makeServer({ fd: LISTEN_FD }, process.ppid, () => {
      active = true;
    }).then(
      (server) => {
        served = server;
      },
      () => void stop(),
    );
    process.on('disconnect', () => void stop());
    // The daemon may have gone while this process was still loading, before anyone listened for 'disconnect'.
    if (!process.connected) void stop();
    for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGALRM'] as const)
      process.on(signal, () => void stop());
  });
}
