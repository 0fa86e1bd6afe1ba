import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isProcessAlive, processStartTime } from '@suite/internal/node';
import type { LockClock, LockFileSystem, LockHost, LockRandom, ProcessProbe } from '../ports.js';

const seconds = (ms: number) => ms / 1000;
const readFileAsync = promisify(fs.readFile) as (path: string, encoding: 'utf8') => Promise<string>;
const writeFileAsync = promisify(fs.writeFile) as (path: string, data: string) => Promise<void>;
const utimesAsync = promisify(fs.utimes);
// realpath(3) in one trip through the thread pool; fs.realpath walks the path in JavaScript, one lstat per component.
const realpathAsync = promisify(fs.realpath.native) as (path: string) => Promise<string>;

/**
 * The lock's file-system calls on node:fs, asynchronous (the callback API: it costs less per call than
 * node:fs/promises); the synchronous ones only for the exit handler.
 */
export const nodeFileSystem: LockFileSystem = {
  mkdir: promisify(fs.mkdir) as (path: string) => Promise<void>,
  rename: promisify(fs.rename),
  readdir: promisify(fs.readdir) as (path: string) => Promise<string[]>,
  readFile: (path) => readFileAsync(path, 'utf8'),
  writeFile: (path, data) => writeFileAsync(path, data),
  unlink: promisify(fs.unlink),
  rmdir: promisify(fs.rmdir) as (path: string) => Promise<void>,
  stat: (path) =>
    new Promise((resolve, reject) =>
      fs.stat(path, (error, stats) =>
        error ? reject(error) : resolve({ mtimeMs: stats.mtimeMs, isDirectory: stats.isDirectory() }),
      ),
    ),
  utimes: (path, mtimeMs) => utimesAsync(path, seconds(mtimeMs), seconds(mtimeMs)),
  realpath: (path) => realpathAsync(path),
  symlink: (target, path) =>
    new Promise((resolve, reject) =>
      fs.symlink(target, path, (error) => (error ? reject(error) : resolve())),
    ),
  readlink: (path) =>
    new Promise((resolve, reject) =>
      fs.readlink(path, 'utf8', (error, target) => (error ? reject(error) : resolve(target))),
    ),
  lstat: (path) =>
    new Promise((resolve, reject) =>
      fs.lstat(path, (error, stats) =>
        error
          ? reject(error)
          : resolve({
              mtimeMs: stats.mtimeMs,
              isDirectory: stats.isDirectory(),
              isSymbolicLink: stats.isSymbolicLink(),
            }),
      ),
    ),
  lutimes: (path, mtimeMs) =>
    new Promise((resolve, reject) =>
      fs.lutimes(path, seconds(mtimeMs), seconds(mtimeMs), (error) => (error ? reject(error) : resolve())),
    ),
  atExit: {
    readFile: (path) => fs.readFileSync(path, 'utf8'),
    readlink: (path) => fs.readlinkSync(path, 'utf8'),
    unlink: (path) => fs.unlinkSync(path),
    rmdir: (path) => fs.rmdirSync(path),
  },
};
/**
 * An opt-in alternative to {@link nodeFileSystem}: the same calls made synchronously (wrapped in settled promises).
 * Each blocks the event loop for the duration of one metadata system call, which on a local disk is a few
 * microseconds and several times cheaper than a trip through libuv's thread pool; on a network file system that
 * hangs, it freezes the whole process (heartbeats included), which is why it is not the default.
 */
export const nodeBlockingFileSystem: LockFileSystem = {
  mkdir: async (path) => void fs.mkdirSync(path),
  rename: async (from, to) => fs.renameSync(from, to),
  readdir: async (path) => fs.readdirSync(path),
  readFile: async (path) => fs.readFileSync(path, 'utf8'),
  writeFile: async (path, data) => fs.writeFileSync(path, data),
  unlink: async (path) => fs.unlinkSync(path),
  rmdir: async (path) => fs.rmdirSync(path),
  stat: async (path) => {
    const stats = fs.statSync(path);
    return { mtimeMs: stats.mtimeMs, isDirectory: stats.isDirectory() };
  },
  utimes: async (path, mtimeMs) => fs.utimesSync(path, seconds(mtimeMs), seconds(mtimeMs)),
  realpath: async (path) => fs.realpathSync.native(path),
  symlink: async (target, path) => fs.symlinkSync(target, path),
  readlink: async (path) => fs.readlinkSync(path, 'utf8'),
  lstat: async (path) => {
    const stats = fs.lstatSync(path);
    return {
      mtimeMs: stats.mtimeMs,
      isDirectory: stats.isDirectory(),
      isSymbolicLink: stats.isSymbolicLink(),
    };
  },
  lutimes: async (path, mtimeMs) => fs.lutimesSync(path, seconds(mtimeMs), seconds(mtimeMs)),
  atExit: nodeFileSystem.atExit,
};

/** Liveness by `kill(pid, 0)` (EPERM: alive, another user's), refined on Linux by /proc against zombies and pid reuse. */
export const nodeProcessProbe: ProcessProbe = {
  isAlive: (pid, startTime) => isProcessAlive(pid, startTime),
  startTime: (pid) => processStartTime(pid),
};

/**
 * Wall clock, a monotonic clock and unref'd timers. The monotonic time comes from `process.hrtime`, not
 * `performance.now()`: the first touch of the `performance` global loads perf_hooks, milliseconds of a one-shot
 * command's start-up.
 */
export const nodeClock: LockClock = {
  now: () => Date.now(),
  monotonic: () => Number(process.hrtime.bigint() / 1000n) / 1000,
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : undefined),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

function readBootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** This process: pid, hostname and (Linux) boot id. */
export const nodeHost: LockHost = {
  pid: process.pid,
  hostname: hostname(),
  bootId: readBootId(),
};

/**
 * Tokens from node:crypto (base64url of 5 random bytes: with the pid, start time and creation time a lock link
 * carries, enough to tell acquisitions apart, and short enough for the link to stay a fast one), jitter from
 * Math.random.
 */
export const nodeRandom: LockRandom = {
  token: () => randomBytes(5).toString('base64url'),
  fraction: () => Math.random(),
};
