import type { LockClock, LockFileSystem, LockHost, LockPorts, ProcessProbe } from '../src/index.js';

function errno(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

type Node =
  | { kind: 'dir'; mtimeMs: number }
  | { kind: 'file'; data: string; mtimeMs: number }
  | { kind: 'link'; target: string; mtimeMs: number };

/**
 * An in-memory file system with POSIX rename semantics (a directory may replace only an empty one), synchronous so
 * that tests can set the scene; {@link asPort} is the asynchronous port the locker sees.
 */
export class MemoryFileSystem {
  readonly nodes = new Map<string, Node>([['/', { kind: 'dir', mtimeMs: 0 }]]);
  constructor(readonly clock: { now(): number }) {}

  #parent(path: string): string {
    const slash = path.lastIndexOf('/');
    return slash <= 0 ? '/' : path.slice(0, slash);
  }
  #children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    return [...this.nodes.keys()].filter(
      (key) => key !== path && key.startsWith(prefix) && !key.slice(prefix.length).includes('/'),
    );
  }
  #needParentDir(path: string): void {
    const parent = this.nodes.get(this.#parent(path));
    if (parent === undefined) throw errno('ENOENT', path);
    if (parent.kind !== 'dir') throw errno('ENOTDIR', path);
  }
  mkdir(path: string): void {
    this.#needParentDir(path);
    if (this.nodes.has(path)) throw errno('EEXIST', path);
    this.nodes.set(path, { kind: 'dir', mtimeMs: this.clock.now() });
  }
  rename(from: string, to: string): void {
    const node = this.nodes.get(from);
    if (node === undefined) throw errno('ENOENT', from);
    this.#needParentDir(to);
    const target = this.nodes.get(to);
    if (from === to) return;
    if (target !== undefined) {
      if (node.kind === 'dir' && target.kind !== 'dir') throw errno('ENOTDIR', to);
      if (node.kind !== 'dir' && target.kind === 'dir') throw errno('EISDIR', to);
      if (target.kind === 'dir' && this.#children(to).length > 0) throw errno('ENOTEMPTY', to);
    }
    const moved = [...this.nodes.entries()].filter(([key]) => key === from || key.startsWith(`${from}/`));
    for (const [key] of moved) this.nodes.delete(key);
    this.nodes.delete(to);
    for (const [key, value] of moved) this.nodes.set(to + key.slice(from.length), value);
  }
  readdir(path: string): string[] {
    const node = this.nodes.get(path);
    if (node === undefined) throw errno('ENOENT', path);
    if (node.kind !== 'dir') throw errno('ENOTDIR', path);
    return this.#children(path).map((key) => key.slice(key.lastIndexOf('/') + 1));
  }
  readFile(path: string): string {
    const node = this.nodes.get(path);
    if (node === undefined) throw errno('ENOENT', path);
    if (node.kind !== 'file') throw errno('EISDIR', path);
    return node.data;
  }
  writeFile(path: string, data: string): void {
    this.#needParentDir(path);
    if (this.nodes.get(path)?.kind === 'dir') throw errno('EISDIR', path);
    this.nodes.set(path, { kind: 'file', data, mtimeMs: this.clock.now() });
  }
  unlink(path: string): void {
    const node = this.nodes.get(path);
    if (node === undefined) throw errno('ENOENT', path);
    if (node.kind === 'dir') throw errno('EISDIR', path);
    this.nodes.delete(path);
  }
  rmdir(path: string): void {
    const node = this.nodes.get(path);
    if (node === undefined) throw errno('ENOENT', path);
    if (node.kind !== 'dir') throw errno('ENOTDIR', path);
    if (this.#children(path).length > 0) throw errno('ENOTEMPTY', path);
    this.nodes.delete(path);
  }
  /** Follows no link: a lock link's target is a record, not a path, so stat of one fails as a dangling one does. */
  stat(path: string): { mtimeMs: number; isDirectory: boolean } {
    const node = this.nodes.get(path);
    if (node === undefined || node.kind === 'link') throw errno('ENOENT', path);
    return { mtimeMs: node.mtimeMs, isDirectory: node.kind === 'dir' };
  }
  utimes(path: string, mtimeMs: number): void {
    const node = this.nodes.get(path);
    if (node === undefined || node.kind === 'link') throw errno('ENOENT', path);
    node.mtimeMs = mtimeMs;
  }
  symlink(target: string, path: string): void {
    this.#needParentDir(path);
    if (this.nodes.has(path)) throw errno('EEXIST', path);
    this.nodes.set(path, { kind: 'link', target, mtimeMs: this.clock.now() });
  }
  readlink(path: string): string {
    const node = this.nodes.get(path);
    if (node === undefined) throw errno('ENOENT', path);
    if (node.kind !== 'link') throw errno('EINVAL', path);
    return node.target;
  }
  lstat(path: string): { mtimeMs: number; isDirectory: boolean; isSymbolicLink: boolean } {
    const node = this.nodes.get(path);
    if (node === undefined) throw errno('ENOENT', path);
    return { mtimeMs: node.mtimeMs, isDirectory: node.kind === 'dir', isSymbolicLink: node.kind === 'link' };
  }
  lutimes(path: string, mtimeMs: number): void {
    const node = this.nodes.get(path);
    if (node === undefined) throw errno('ENOENT', path);
    node.mtimeMs = mtimeMs;
  }
  /** The paths under `dir`, sorted. */
  list(dir: string): string[] {
    return [...this.nodes.keys()].filter((key) => key.startsWith(`${dir}/`)).sort();
  }
}

/**
 * The port over `fs`, looking each method up at call time (so that a test can replace one, e.g. to count renames).
 * Its realpath resolves nothing (the memory file system has no symbolic links).
 */
export function asPort(fs: MemoryFileSystem): LockFileSystem {
  return {
    mkdir: async (path) => fs.mkdir(path),
    rename: async (from, to) => fs.rename(from, to),
    readdir: async (path) => fs.readdir(path),
    readFile: async (path) => fs.readFile(path),
    writeFile: async (path, data) => fs.writeFile(path, data),
    unlink: async (path) => fs.unlink(path),
    rmdir: async (path) => fs.rmdir(path),
    stat: async (path) => fs.stat(path),
    utimes: async (path, mtimeMs) => fs.utimes(path, mtimeMs),
    realpath: async (path) => {
      fs.stat(path);
      return path;
    },
    symlink: async (target, path) => fs.symlink(target, path),
    readlink: async (path) => fs.readlink(path),
    lstat: async (path) => fs.lstat(path),
    lutimes: async (path, mtimeMs) => fs.lutimes(path, mtimeMs),
    atExit: {
      readFile: (path) => fs.readFile(path),
      readlink: (path) => fs.readlink(path),
      unlink: (path) => fs.unlink(path),
      rmdir: (path) => fs.rmdir(path),
    },
  };
}

/** A clock moved by hand; timers fire when `advance` passes them. */
export class ManualClock implements LockClock {
  wall = 1_700_000_000_000;
  mono = 0;
  #timers: { at: number; every: number | undefined; fn: () => void; id: number }[] = [];
  #ids = 0;

  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const cancel = this.after(ms, resolve);
      signal?.addEventListener('abort', () => {
        cancel();
        reject(signal.reason);
      });
    });
  }
  every(ms: number, fn: () => void): () => void {
    return this.#add(ms, ms, fn);
  }
  after(ms: number, fn: () => void): () => void {
    return this.#add(ms, undefined, fn);
  }
  #add(ms: number, every: number | undefined, fn: () => void): () => void {
    const id = ++this.#ids;
    this.#timers.push({ at: this.mono + ms, every, fn, id });
    return () => {
      this.#timers = this.#timers.filter((timer) => timer.id !== id);
    };
  }
  /** Moves both clocks forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (;;) {
      const due = this.#timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.wall += due.at - this.mono;
      this.mono = due.at;
      if (due.every === undefined) this.#timers = this.#timers.filter((timer) => timer !== due);
      else due.at += due.every;
      due.fn();
    }
    this.wall += end - this.mono;
    this.mono = end;
  }
}

/** A process table: pid → start time. */
export class FakeProcesses implements ProcessProbe {
  readonly table = new Map<number, number>();
  isAlive(pid: number, startTime?: number): boolean {
    const started = this.table.get(pid);
    return started !== undefined && (startTime === undefined || startTime === started);
  }
  startTime(pid: number): number | undefined {
    return this.table.get(pid);
  }
}

/** Ports for one simulated process on `host`, sharing `fs`, `clock` and `processes` with the others. */
export function fakePorts(
  world: { fs: MemoryFileSystem; clock: ManualClock; processes: FakeProcesses },
  host: LockHost,
): LockPorts {
  let counter = 0;
  world.processes.table.set(host.pid, 1_000 + host.pid);
  return {
    fs: asPort(world.fs),
    clock: world.clock,
    probe: world.processes,
    host,
    random: { token: () => `t${host.pid}x${++counter}`, fraction: () => 0.5 },
  };
}

export function fakeWorld() {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem(clock);
  fs.mkdir('/locks');
  return { clock, fs, processes: new FakeProcesses() };
}
