import { concatBytes, copyBytes } from '../_bytes.js';
import type { DeltaTree, EntryType, TreeEntry } from './tree.js';

interface Node {
  type: EntryType;
  mode: number;
  data?: Uint8Array;
  target?: string;
  mtime: Date;
}

/**
 * A {@link DeltaTree} in memory: for tests, browsers and dry runs. `snapshot()` gives every name with its content.
 * @example
 * const tree = new MemoryTree({ 'a.txt': 'hello\n', 'src/': null });
 * await applyDelta(() => [deltaBytes], tree);
 */
export class MemoryTree implements DeltaTree {
  readonly #nodes = new Map<string, Node>([['', { type: 'dir', mode: 0o755, mtime: new Date(0) }]]);

  /** Files (`name: content`) and directories (`'name/': null`) to start with. */
  constructor(files: Readonly<Record<string, string | Uint8Array | null>> = {}) {
    for (const [name, content] of Object.entries(files)) {
      if (content === null) this.makeDir(name.replace(/\/$/, ''));
      else
        this.writeFile(
          name,
          typeof content === 'string' ? new TextEncoder().encode(content) : content,
          0o644,
        );
    }
  }

  /** Makes `name` a symlink to `target` (which the tree never follows). */
  symlink(name: string, target: string): void {
    this.#parentsFor(name);
    this.#nodes.set(name, { type: 'symlink', mode: 0o777, target, mtime: new Date() });
  }

  /** Every name (directories end in `/`) with the file's text, sorted: a whole tree in one comparable value. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of [...this.#nodes.keys()].sort()) {
      if (name === '') continue;
      const node = this.#nodes.get(name)!;
      if (node.type === 'dir') out[`${name}/`] = '';
      else if (node.type === 'symlink') out[name] = `-> ${node.target}`;
      else out[name] = textOf(node.data!);
    }
    return out;
  }

  /** The modification time of a name (for `-u` tests). */
  mtime(name: string): Date | undefined {
    return this.#nodes.get(name)?.mtime;
  }

  lstat(name: string): TreeEntry | undefined {
    const node = this.#nodes.get(name);
    return node && { type: node.type, mode: node.mode, uid: 0, gid: 0 };
  }

  readFile(name: string): Uint8Array {
    const node = this.#nodes.get(name);
    if (node?.type !== 'file') throw enoent(name);
    return node.data!;
  }

  list(dir: string): string[] {
    const prefix = dir === '' ? '' : `${dir}/`;
    const out: string[] = [];
    for (const name of this.#nodes.keys()) {
      if (name !== '' && name.startsWith(prefix) && !name.slice(prefix.length).includes('/')) {
        out.push(name.slice(prefix.length));
      }
    }
    return out;
  }

  writeFile(name: string, data: Uint8Array | AsyncIterable<Uint8Array>, mode: number): void | Promise<void> {
    if (!(data instanceof Uint8Array)) return this.#writeChunks(name, data, mode);
    this.#parentsFor(name);
    const node = this.#nodes.get(name);
    if (node && node.type !== 'file') throw new Error(`EISDIR: ${name}`);
    this.#nodes.set(name, { type: 'file', mode, data: data.slice(), mtime: new Date() });
  }

  async #writeChunks(name: string, chunks: AsyncIterable<Uint8Array>, mode: number): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(copyBytes(chunk));
    this.writeFile(name, concatBytes(parts), mode);
  }

  remove(name: string): void {
    if (this.#nodes.get(name)?.type === 'dir' || !this.#nodes.delete(name)) throw enoent(name);
  }

  makeDir(name: string): void {
    this.#parentsFor(`${name}/x`);
  }

  removeDir(name: string): void {
    for (const key of [...this.#nodes.keys()])
      if (key === name || key.startsWith(`${name}/`)) this.#nodes.delete(key);
  }

  setMode(name: string, mode: number): void {
    const node = this.#nodes.get(name);
    if (!node) throw enoent(name);
    node.mode = mode;
  }

  setTime(name: string, time: Date): void {
    const node = this.#nodes.get(name);
    if (!node) throw enoent(name);
    node.mtime = time;
  }

  #parentsFor(name: string): void {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const node = this.#nodes.get(dir);
      if (!node) this.#nodes.set(dir, { type: 'dir', mode: 0o755, mtime: new Date() });
      else if (node.type !== 'dir') throw new Error(`ENOTDIR: ${dir}`);
    }
  }
}

function textOf(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

function enoent(name: string): Error {
  return Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
}
