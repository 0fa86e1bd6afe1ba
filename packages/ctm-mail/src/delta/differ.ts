import { CtmError, CtmExit } from './errors.js';
import { diffN } from './line-diff.js';
import { type Md5Factory, md5Hex, portableMd5 } from './md5.js';
import { type DeltaRecord, JOURNAL_FILE, STATUS_FILE } from './record.js';
import type { DeltaTree, TreeEntry } from './tree.js';
import { deltaTimestamp, encodeDelta } from './writer.js';

/** What a delta made by {@link makeDelta} is called and numbered. */
export interface MakeDeltaOptions {
  /** The CTM service, e.g. `src-cur`. */
  readonly name: string;
  /** The delta's number: `.ctm_status` in the tree will say this once it is applied. */
  readonly number: number;
  /** When the delta is made. */
  readonly date: Date;
  /** @default '.' */
  readonly prefix?: string;
  /** Names (relative, `/`-separated) to leave out of the delta, like mkctm -I. */
  readonly ignore?: (name: string) => boolean;
  /** Receives notes such as `Wrong name` for a symlink or device, which a delta cannot carry. */
  readonly warn?: (line: string) => void;
  /** Called with each record as it is made (for a summary). */
  readonly onRecord?: (record: DeltaRecord) => void;
  /** The MD5 to use. @default portableMd5 */
  readonly md5?: Md5Factory;
}

const encoder = new TextEncoder();

/**
 * The records that turn tree `before` into tree `after`, in mkctm's order (names sorted, a directory's contents
 * before its removal); files become CTMFN edits when a `diff -n` script is smaller than the file, else CTMFS. The
 * last record sets `.ctm_status` to `NAME NUMBER`. Throws `ENOCHANGE` when the trees are the same.
 * @example
 * for await (const r of diffTrees(oldTree, newTree, { name: 'src-cur', number: 42, date: new Date() })) console.log(r.key, r.name);
 */
export async function* diffTrees(
  before: DeltaTree,
  after: DeltaTree,
  options: MakeDeltaOptions,
): AsyncGenerator<DeltaRecord, void, undefined> {
  const md5 = options.md5 ?? portableMd5;
  const walker = new Walker(before, after, options, md5);
  yield* walker.dir('');
  if (walker.changes === 0) throw new CtmError('ENOCHANGE', 'no changes', CtmExit.Broke);

  const content = encoder.encode(`${options.name} ${options.number}\n`);
  const old = await before.lstat(STATUS_FILE);
  const md5After = md5Hex(content, md5);
  if (old?.type === 'file') {
    const md5Before = md5Hex(await before.readFile(STATUS_FILE), md5);
    yield { key: 'FS', name: STATUS_FILE, ...attributes(old), md5Before, md5After, data: content };
  } else {
    const top = await after.lstat('');
    yield {
      key: 'FM',
      name: STATUS_FILE,
      uid: String(top?.uid ?? 0),
      gid: String(top?.gid ?? 0),
      mode: '644',
      md5After,
      data: content,
    };
  }
}

/**
 * A whole delta from tree `before` to tree `after` as chunks of bytes (see {@link diffTrees} and
 * {@link encodeDelta}).
 * @example
 * for await (const chunk of makeDelta(oldTree, newTree, { name: 'src-cur', number: 42, date: new Date() })) out.write(chunk);
 */
export function makeDelta(
  before: DeltaTree,
  after: DeltaTree,
  options: MakeDeltaOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  return encodeDelta(
    {
      name: options.name,
      number: String(options.number),
      timestamp: deltaTimestamp(options.date),
      prefix: options.prefix ?? '.',
    },
    counted(diffTrees(before, after, options), options.onRecord),
    options.md5,
  );
}

async function* counted(
  records: AsyncIterable<DeltaRecord>,
  onRecord: ((record: DeltaRecord) => void) | undefined,
): AsyncGenerator<DeltaRecord, void, undefined> {
  for await (const r of records) {
    onRecord?.(r);
    yield r;
  }
}

function attributes(e: TreeEntry) {
  return { uid: String(e.uid), gid: String(e.gid), mode: e.mode.toString(8) };
}

interface Item {
  readonly name: string;
  readonly entry: TreeEntry;
}

class Walker {
  changes = 0;

  constructor(
    readonly before: DeltaTree,
    readonly after: DeltaTree,
    readonly options: MakeDeltaOptions,
    readonly md5: Md5Factory,
  ) {}

  async items(tree: DeltaTree, dir: string, side: string): Promise<Item[]> {
    const entry = await tree.lstat(dir);
    if (entry?.type !== 'dir') return [];
    const out: Item[] = [];
    for (const base of [...(await tree.list(dir))].sort(byBytes)) {
      const name = dir === '' ? base : `${dir}/${base}`;
      if (dir === '' && (base === STATUS_FILE || base === JOURNAL_FILE)) continue;
      if (this.options.ignore?.(name)) continue;
      const e = await tree.lstat(name);
      if (e?.type === 'file' || e?.type === 'dir') out.push({ name, entry: e });
      else this.options.warn?.(`Wrong ${side}/${name}`);
    }
    return out;
  }

  async *dir(dir: string): AsyncGenerator<DeltaRecord, void, undefined> {
    const olds = await this.items(this.before, dir, 'old');
    const news = await this.items(this.after, dir, 'new');
    let i = 0;
    let j = 0;
    while (i < olds.length || j < news.length) {
      const o = olds[i];
      const n = news[j];
      const order = !o ? 1 : !n ? -1 : byBytes(o.name, n.name);
      if (order < 0) {
        yield* this.removed(o!);
        i++;
      } else if (order > 0) {
        yield* this.added(n!);
        j++;
      } else if (o!.entry.type !== n!.entry.type) {
        yield* this.removed(o!);
        yield* this.added(n!);
        i++;
        j++;
      } else {
        if (n!.entry.type === 'dir') yield* this.dir(n!.name);
        else yield* this.changed(o!, n!);
        i++;
        j++;
      }
    }
  }

  async *added(item: Item): AsyncGenerator<DeltaRecord, void, undefined> {
    this.changes++;
    if (item.entry.type === 'dir') {
      yield { key: 'DM', name: item.name, ...attributes(item.entry) };
      for (const sub of await this.items(this.after, item.name, 'new')) yield* this.added(sub);
      return;
    }
    const data = await this.after.readFile(item.name);
    yield { key: 'FM', name: item.name, ...attributes(item.entry), md5After: md5Hex(data, this.md5), data };
  }

  async *removed(item: Item): AsyncGenerator<DeltaRecord, void, undefined> {
    this.changes++;
    if (item.entry.type === 'dir') {
      for (const sub of await this.items(this.before, item.name, 'old')) yield* this.removed(sub);
      yield { key: 'DR', name: item.name };
      return;
    }
    yield { key: 'FR', name: item.name, md5Before: md5Hex(await this.before.readFile(item.name), this.md5) };
  }

  async *changed(o: Item, n: Item): AsyncGenerator<DeltaRecord, void, undefined> {
    const old = await this.before.readFile(o.name);
    const data = await this.after.readFile(n.name);
    if (sameBytes(old, data)) return;
    this.changes++;
    const md5Before = md5Hex(old, this.md5);
    const md5After = md5Hex(data, this.md5);
    const script = diffN(old, data);
    const base = { name: n.name, ...attributes(n.entry), md5Before, md5After };
    if (script && script.length > 0 && script.length < data.length)
      yield { key: 'FN', ...base, data: script };
    else yield { key: 'FS', ...base, data };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** strcmp order (the C locale's alphasort), so deltas list names as mkctm does. */
function byBytes(a: string, b: string): number {
  if (a === b) return 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
