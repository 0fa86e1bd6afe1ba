// The uuidd daemon process: pid file, "already running" probe, socket (or systemd's), signals, idle timeout,
// debug log; and daemonizing, which Node does by re-spawning itself detached.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  acquire,
  createPidFile,
  LockError,
  type LockHandle,
  type PidFile,
  PidFileError,
} from '@suite/lockfile/node';
import { type ClockSequenceStore, fileClockStore, stringify, TimeUuidGenerator } from '@suite/uuid/node';
import {
  describeSystemError,
  type UuiddListenTarget,
  type UuiddReply,
  type UuiddRequest,
  UuiddServer,
  type UuiddServerEvent,
} from '@suite/uuid/uuidd/node';
import { probeDaemon } from './client-mode.js';
import type { UuiddOptions } from './options.js';
import { runWorker, startWorkers } from './workers.js';

/** Where the daemon's messages go: the terminal, or the parent that is waiting for it to start. */
export interface DaemonIo {
  /** A `uuidd: ...` message for stderr. */
  warn(message: string): void;
  /** A line of `-d` output (stderr). */
  debug(line: string): void;
  /** The daemon serves: a waiting parent may exit now. */
  ready(): void;
}

/** Marks the re-spawned daemon process; its value is ignored. */
const CHILD_ENV = 'SUITE_UUIDD_DAEMON_CHILD';

/** How long a client may take to send its request (util-linux waits forever and stalls everyone meanwhile). */
const READ_TIMEOUT_MS = 5000;

/** Whether this process is the detached daemon a `uuidd` started. */
export function isDaemonChild(): boolean {
  return process.env[CHILD_ENV] !== undefined && typeof process.send === 'function';
}

/** The IO of the detached daemon: messages go to the parent over IPC until it is ready, then nowhere. */
export function childIo(): DaemonIo {
  const send = (message: object) => {
    if (process.connected) process.send?.(message);
  };
  return {
    warn: (text) => send({ type: 'warn', text }),
    debug: () => {},
    ready: () => {
      send({ type: 'ready' });
      if (process.connected) process.disconnect();
    },
  };
}

/**
 * Starts the daemon as a detached child (stdio ignored, a new session) and waits until it serves or fails;
 * relays its messages and returns the status to exit with.
 */
export function daemonize(argv: readonly string[]): Promise<number> {
  const bin = fileURLToPath(new URL('../bin/uuidd.js', import.meta.url));
  // The daemon's own Node flags, as bin/uuidd.js's #! line gives them (a small young generation), unless set already.
  const flags = process.execArgv.some((flag) => flag.startsWith('--max-semi-space-size'))
    ? process.execArgv
    : [...process.execArgv, '--max-semi-space-size=1'];
  const child = spawn(process.execPath, [...flags, bin, ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [CHILD_ENV]: '1' },
  });
  return new Promise((done) => {
    child.on('message', (message: { type: string; text?: string }) => {
      if (message.type === 'warn') process.stderr.write(`${message.text}\n`);
      if (message.type === 'ready') {
        child.disconnect();
        child.unref();
        done(0);
      }
    });
    child.on('error', (error) => {
      process.stderr.write(`uuidd: daemon: ${error.message}\n`);
      done(1);
    });
    child.on('exit', (code) => done(code ?? 1));
  });
}

/** A clock store that warns once and carries on when the state file cannot be written, as libuuid does. */
function tolerantStore(store: ClockSequenceStore, warn: () => void): ClockSequenceStore {
  let warned = false;
  const once = () => {
    if (!warned) warn();
    warned = true;
  };
  return {
    load() {
      try {
        return store.load();
      } catch {
        once();
        return undefined;
      }
    },
    save(state) {
      try {
        store.save(state);
      } catch {
        once();
      }
    },
  };
}

/** sd_listen_fds(): how many sockets systemd passed (from fd 3), or -1 when its variables are garbled. */
function listenFds(): number {
  const pid = process.env.LISTEN_PID;
  const fds = process.env.LISTEN_FDS;
  if (pid === undefined || fds === undefined) return 0;
  if (!/^\d+$/.test(pid) || !/^\d+$/.test(fds)) return -1;
  if (Number(pid) !== process.pid) return 0;
  return Number(fds);
}

function debugLines(request: UuiddRequest, reply: UuiddReply): string[] {
  const lines = [
    'count' in request
      ? `operation ${request.op}, incoming num = ${request.count}`
      : `operation ${request.op}`,
  ];
  switch (reply.op) {
    case 2:
      lines.push(`Generated time UUID: ${stringify(reply.uuid)}`);
      break;
    case 3:
      lines.push(`Generated random UUID: ${stringify(reply.uuid)}`);
      break;
    case 4:
      lines.push(`Generated time UUID ${stringify(reply.uuid)} and ${reply.count - 1} following`);
      break;
    case 5:
      lines.push(`Generated ${reply.count} UUID${reply.count === 1 ? '' : 's'}:`);
      for (let i = 0; i < reply.count; i++) lines.push(`\t${stringify(reply.uuids, 16 * i)}`);
      break;
  }
  return lines;
}

/** What `-d` prints for a server event, and the warnings util-linux prints even without `-d`. */
function report(event: UuiddServerEvent, options: UuiddOptions, io: DaemonIo): void {
  switch (event.type) {
    case 'request':
      if (options.debug) for (const line of debugLines(event.request, event.reply)) io.debug(line);
      break;
    case 'malformed': {
      if (event.received === 0) io.warn('uuidd: error reading from client, len = 0');
      if (!options.debug) break;
      const op = /^invalid operation (\d+)$/.exec(event.reason)?.[1];
      if (op !== undefined) io.debug(`operation ${op}\nInvalid operation ${op}`);
      io.debug(`malformed request closed without a reply (${event.reason}); ${event.malformed} so far`);
      break;
    }
    case 'refused':
      if (options.debug) {
        io.debug(
          `operation ${event.request.op}, incoming num = ${'count' in event.request ? event.request.count : 0}`,
        );
        io.debug(`request refused (${event.reason})`);
      }
      break;
    case 'timeout':
      if (options.debug) {
        io.debug(
          `client sent no whole request in ${READ_TIMEOUT_MS / 1000} s, disconnected; ${event.timedOut} so far`,
        );
      }
      break;
    case 'connection':
      break;
  }
}

/**
 * The v1 generator of serving process `index` (0 for the daemon itself): each keeps its own state file (the
 * daemon's is the clock file, process i's is `<clock file>.i`) and so its own random node.
 */
function timeSource(
  options: UuiddOptions,
  index: number,
  warn: (message: string) => void,
): TimeUuidGenerator {
  const clockFile = resolve(options.clockFile ?? join(dirname(options.socketPath), 'uuidd.clock'));
  const path = index === 0 ? clockFile : `${clockFile}.${index}`;
  const store = tolerantStore(fileClockStore(path), () => warn('failed to open/lock clock counter'));
  const generator = new TimeUuidGenerator({
    store,
    ...(options.contClock > 0 ? { continuous: { maxLagMs: options.contClock * 1000 } } : {}),
  });
  return generator;
}

/** Serving process `index`: serves the socket the daemon hands over until the daemon goes away. */
export function serveAsWorker(options: UuiddOptions, index: number): Promise<number> {
  const io: DaemonIo = {
    warn: (message) => process.stderr.write(`${message}\n`),
    debug: () => {},
    ready: () => {},
  };
  const warn = (message: string) => {
    if (!options.quiet) io.warn(`uuidd: ${message}`);
  };
  return runWorker(async (listening, daemonPid, onConnection) => {
    const time = timeSource(options, index, warn);
    const server = await UuiddServer.listen(listening, {
      time,
      fastPath: true, // the daemon opts in to Node's internal stream handles (see UuiddServerOptions.fastPath)
      pid: daemonPid,
      readTimeout: READ_TIMEOUT_MS,
      onEvent: (event) => {
        if (event.type === 'connection') onConnection();
        else report(event, options, io);
      },
    });
    time.next(); // see serve()
    if (isDaemonChild()) process.chdir('/'); // as the daemon: hold no directory busy
    return server;
  });
}

/** Runs the daemon until a signal or the idle timeout; resolves to the exit status. */
export async function serve(options: UuiddOptions, argv: readonly string[], io: DaemonIo): Promise<number> {
  const warn = (message: string) => {
    if (!options.quiet) io.warn(`uuidd: ${message}`);
  };
  const socketPath = resolve(options.socketPath);
  const pidPath = options.pidPath === undefined ? undefined : resolve(options.pidPath);
  let pidFile: PidFile | undefined;
  // Start-up (probe, bind) is serialized by a lock beside the socket, whatever -p/-P say: two daemons started at
  // once on one socket would otherwise both find none running and both bind. Held until the socket listens.
  let startLock: LockHandle | undefined;

  if (!options.socketActivation) {
    const guard = setTimeout(() => {
      io.warn('uuidd: timed out');
      process.exit(1);
    }, 30_000);
    try {
      startLock = await acquire(socketPath, { timeout: 25_000 });
    } catch (error) {
      clearTimeout(guard);
      if (!(error instanceof LockError)) throw error;
      // A missing or unwritable directory: say what bind(2) would say about the socket there.
      warn(`couldn't bind unix socket ${socketPath}: ${describeSystemError(error.code)}`);
      return 1;
    }
    if (pidPath !== undefined) {
      try {
        pidFile = await createPidFile(pidPath, { format: 'uuidd' });
      } catch (error) {
        clearTimeout(guard);
        await startLock.release();
        if (!(error instanceof PidFileError)) throw error;
        if (error.code === 'ERUNNING') {
          const running = (await probeDaemon(socketPath)) ?? String(error.pid ?? '');
          warn(`uuidd daemon is already running at pid ${running}`);
        } else warn(`cannot open ${pidPath}: ${describeSystemError(error.code)}`);
        return 1;
      }
    }
    const running = await probeDaemon(socketPath);
    clearTimeout(guard);
    if (running !== undefined) {
      warn(`uuidd daemon is already running at pid ${running}`);
      await pidFile?.release();
      await startLock.release();
      return 1;
    }
  }

  let target: UuiddListenTarget = socketPath;
  if (options.socketActivation) {
    const fds = listenFds();
    if (fds !== 1) {
      io.warn(
        fds === 0
          ? 'uuidd: no file descriptors received, check systemctl status uuidd.socket'
          : fds < 0
            ? 'uuidd: sd_listen_fds() failed: Invalid argument'
            : 'uuidd: too many file descriptors received, check uuidd.socket',
      );
      return 1;
    }
    target = { fd: 3 };
  }

  let idle: NodeJS.Timeout | undefined;
  let server: UuiddServer;
  const time = timeSource(options, 0, warn);
  try {
    server = await UuiddServer.listen(target, {
      time,
      fastPath: true, // the daemon opts in to Node's internal stream handles (see UuiddServerOptions.fastPath)
      readTimeout: READ_TIMEOUT_MS,
      onEvent: (event) => {
        if (event.type === 'connection') idle?.refresh();
        else report(event, options, io);
      },
    });
  } catch (error) {
    let code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    // libuv reports a missing directory as EACCES when it binds a unix socket; say what bind(2) said.
    if (code === 'EACCES' && !existsSync(dirname(socketPath))) code = 'ENOENT';
    warn(
      typeof target === 'string'
        ? `couldn't bind unix socket ${socketPath}: ${describeSystemError(code)}`
        : `couldn't listen on the socket received from systemd: ${describeSystemError(code)}`,
    );
    await pidFile?.release();
    await startLock?.release();
    return 1;
  }
  // The signals are taken as soon as the socket answers: a client that sees the socket may stop us at once.
  let workers: ReturnType<typeof startWorkers> | undefined;
  let done: (status: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    done = resolve;
  });
  let stopping = false;
  const stop = async (status: number) => {
    if (stopping) return;
    stopping = true;
    workers?.stop();
    if (idle !== undefined) clearTimeout(idle);
    // The pid file goes first, then the socket, as util-linux's all_done() does: a script that waits for the
    // socket to go must not find the pid file still there.
    await pidFile?.release();
    await server.close();
    done(status);
  };
  for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGALRM'] as const) {
    process.on(signal, () => void stop(0));
  }
  await startLock?.release(); // the socket answers now: a daemon starting after this finds us running

  // Start the clock state now (one tick is spent): the file is written at startup, a bad path reported then.
  time.next();

  // One process unless --workers asks for more: it serves util-linux's single-request load faster than its C
  // daemon on a 2-CPU machine in about 55 MB, where each further process costs as much again (packages/uuid/bench).
  // -d keeps to one process, so that its log is complete and in order.
  const processes = options.debug ? 1 : (options.workers ?? 1);
  if (processes > 1 && !stopping)
    workers = startWorkers(processes - 1, argv, server.server, () => idle?.refresh());

  if (options.timeout > 0 && !stopping) {
    // setTimeout takes at most 2^31-1 ms; longer idle timeouts (about 25 days and up) are as good as none.
    const ms = Math.min(options.timeout * 1000, 0x7fff_ffff);
    idle = setTimeout(() => {
      if (options.debug) io.debug(`timeout [${options.timeout} sec]`);
      void stop(0);
    }, ms);
  }
  io.ready();
  if (isDaemonChild()) process.chdir('/');
  return finished;
}
