import { ByteReader } from './_byte-reader.js';
import { CtmError, CtmExit } from './errors.js';
import { type Md5, type Md5Factory, md5Hex, portableMd5 } from './md5.js';
import { deltaName } from './name.js';
import type { DataStream, DeltaHeader, DeltaRecord } from './record.js';

/** Where a delta's bytes come from; called once per pass, so it must be able to start over. */
export type DeltaSource = () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** What {@link readDelta} yields: the header, then each record, then the end. */
export type DeltaItem =
  | { readonly kind: 'header'; readonly header: DeltaHeader }
  | { readonly kind: 'record'; readonly record: DeltaRecord; readonly index: number }
  | { readonly kind: 'end'; readonly md5: string };

/** Options of {@link readDelta}. */
export interface ReadDeltaOptions {
  /** The MD5 to use. @default portableMd5 */
  readonly md5?: Md5Factory;
  /** Accept bytes after the `CTM_END` line (ctm -F). @default false */
  readonly allowTrailingJunk?: boolean;
  /**
   * FM and FS data blocks bigger than this many bytes are not held: the record comes with an empty `data` and a
   * `stream` to read before the next item (what is not read is skipped). Their MD5 is still checked, as they
   * stream. @default Infinity (every block is held)
   */
  readonly streamAbove?: number;
}

const MD5_RE = /^[0-9a-f]{32}$/;
const DIGITS_RE = /^[0-9]+$/;
const MAX_COUNT = 2 ** 31 - 1;

/**
 * Parses a ctm(5) delta as it streams in and checks it as ctm(1)'s first pass does: the syntax of every record, the
 * names (absolute names and `..` are refused), the MD5 of every FM/FS data block and the MD5 of the whole delta.
 * Throws a {@link CtmError} on the first problem; records already yielded are then not to be trusted.
 * @example
 * for await (const item of readDelta([bytes])) if (item.kind === 'record') console.log(item.record.key, item.record.name);
 */
export async function* readDelta(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ReadDeltaOptions = {},
): AsyncGenerator<DeltaItem, void, undefined> {
  const md5 = options.md5 ?? portableMd5;
  const r = new ByteReader(chunks, md5());
  const begin = await r.field(0x20).catch(() => {
    throw new CtmError('ENOTCTM', 'Probably not a CTM-patch at all.', CtmExit.Garbage);
  });
  if (begin !== 'CTM_BEGIN')
    throw new CtmError('ENOTCTM', 'Probably not a CTM-patch at all.', CtmExit.Garbage);
  const version = await r.field(0x20);
  if (version !== '2.0') throw new CtmError('EVERSION', 'CTM-patch is wrong version.', CtmExit.Garbage);
  const header: DeltaHeader = {
    version,
    name: await r.field(0x20),
    number: digits(await r.field(0x20), 'delta number'),
    timestamp: await r.field(0x20),
    prefix: await r.field(0x0a),
  };
  yield { kind: 'header', header };

  for (let index = 0; ; index++) {
    const keyword = await r.field(0x20);
    if (!keyword.startsWith('CTM')) throw corrupt(`Expected CTM keyword. Got [${keyword}]`);
    if (keyword === 'CTM_END') break;
    const { record, block } = await readRecord(r, keyword.slice(3), md5, options.streamAbove ?? Infinity);
    yield { kind: 'record', record, index };
    if (block) {
      await block.finish();
      if (block.md5 !== (record as { md5After: string }).md5After) throw internalMd5(record.name);
    }
  }
  const computed = r.digest();
  const stated = await r.field(0x0a);
  if (computed !== stated) {
    throw new CtmError(
      'EMD5',
      `MD5 sum doesn't match.\n\tI have:<${computed}>\n\tShould have been:<${stated}>`,
      CtmExit.Garbage,
    );
  }
  if (!options.allowTrailingJunk && !(await r.atEnd())) {
    throw new CtmError('ECORRUPT', 'Trailing junk in CTM-file.  Can Force with -F.', CtmExit.Forcible);
  }
  yield { kind: 'end', md5: computed };
}

/** A streamed data block: hashes what passes, and skips what its reader left. */
class StreamedBlock implements DataStream {
  readonly size: number;
  readonly #reader: ByteReader;
  readonly #blocks: AsyncGenerator<Uint8Array, void, undefined>;
  readonly #hash: Md5;
  #md5 = '';

  constructor(reader: ByteReader, size: number, md5: Md5Factory) {
    this.size = size;
    this.#reader = reader;
    this.#blocks = reader.blocks(size);
    this.#hash = md5();
  }

  async *chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const next = await this.#blocks.next();
      if (next.done) return;
      this.#hash.update(next.value);
      yield next.value;
    }
  }

  /** Reads what is left of the block and its newline. */
  async finish(): Promise<void> {
    for await (const _ of this.chunks());
    await this.#reader.endOfData();
    this.#md5 = this.#hash.hex();
  }

  get md5(): string {
    return this.#md5;
  }
}

async function readRecord(
  r: ByteReader,
  key: string,
  md5: Md5Factory,
  streamAbove: number,
): Promise<{ record: DeltaRecord; block?: StreamedBlock }> {
  switch (key) {
    case 'FM':
    case 'FS':
    case 'FN':
    case 'FE': {
      const name = deltaName(await r.field(0x20));
      const attrs = await attributes(r, 0x20);
      const md5Before = key === 'FM' ? '' : hash(await r.field(0x20));
      const md5After = hash(await r.field(0x20));
      const n = count(await r.field(0x0a));
      const content = key === 'FM' || key === 'FS';
      if (content && n > streamAbove) {
        const block = new StreamedBlock(r, n, md5);
        const data = new Uint8Array(0);
        const record: DeltaRecord =
          key === 'FM'
            ? { key, name, ...attrs, md5After, data, stream: block }
            : { key, name, ...attrs, md5Before, md5After, data, stream: block };
        return { record, block };
      }
      const data = await r.data(n);
      if (content && md5Hex(data, md5) !== md5After) throw internalMd5(name);
      if (key === 'FM') return { record: { key, name, ...attrs, md5After, data } };
      return { record: { key, name, ...attrs, md5Before, md5After, data } };
    }
    case 'FR': {
      const name = deltaName(await r.field(0x20));
      return { record: { key, name, md5Before: hash(await r.field(0x0a)) } };
    }
    case 'AS':
    case 'DM':
      return { record: { key, name: deltaName(await r.field(0x20)), ...(await attributes(r, 0x0a)) } };
    case 'DR':
      return { record: { key, name: deltaName(await r.field(0x0a)) } };
    default:
      throw corrupt(`Expected CTM keyword. Got [CTM${key}]`);
  }
}

async function attributes(r: ByteReader, last: 0x20 | 0x0a) {
  const uid = digits(await r.field(0x20), 'uid');
  const gid = digits(await r.field(0x20), 'gid');
  const mode = await r.field(last);
  if (!/^[0-7]+$/.test(mode)) throw new CtmError('ECORRUPT', 'Non-digit in mode.', CtmExit.Mess);
  // Permission, setuid/setgid and sticky bits are all a mode holds (mkctm writes st_mode & ~S_IFMT).
  if (Number.parseInt(mode, 8) > 0o7777)
    throw new CtmError('ECORRUPT', 'Mode is out of range.', CtmExit.Mess);
  return { uid, gid, mode };
}

function digits(field: string, what: string): string {
  if (!DIGITS_RE.test(field)) throw new CtmError('ECORRUPT', `Non-digit in ${what}.`, CtmExit.Mess);
  return field;
}

function hash(field: string): string {
  if (!MD5_RE.test(field)) throw corrupt(`Bad MD5 field [${field}].`);
  return field;
}

function count(field: string): number {
  if (!DIGITS_RE.test(field)) throw corrupt('Bytecount contains non-digit.');
  const n = Number(field);
  if (n > MAX_COUNT) throw corrupt('Bytecount is too large.');
  return n;
}

function internalMd5(name: string): CtmError {
  return new CtmError('EMD5', `Internal MD5 failed. (${name})`, CtmExit.Garbage);
}

function corrupt(detail: string): CtmError {
  return new CtmError('ECORRUPT', detail, CtmExit.Garbage);
}
