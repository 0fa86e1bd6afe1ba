import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, renameSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import {
  type ApplyOptions,
  type ApplyResult,
  applyDelta,
  CtmError,
  CtmExit,
  type DeltaSource,
  type MakeDeltaOptions,
  type Md5Factory,
  makeDelta,
} from '../delta/index.js';
import { NodeTree, type NodeTreeOptions } from './delta-tree.js';

/**
 * MD5 from `node:crypto`: the same digests as the core's portable one, faster.
 * @example
 * await applyDelta(source, tree, { md5: nodeMd5 });
 */
export const nodeMd5: Md5Factory = () => {
  const hash = createHash('md5');
  return {
    update: (bytes) => {
      hash.update(bytes);
    },
    hex: () => hash.digest('hex'),
  };
};

/** Whether bytes start with the gzip magic number. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * A delta held in memory (plain or gzip, told by its first bytes) as a {@link DeltaSource}: every pass decompresses
 * it again as a stream, and every pass sees the same bytes even if the file is replaced meanwhile.
 * @example
 * const source = deltaBytesSource(readFileSync('src-cur.0042.gz'));
 */
export function deltaBytesSource(bytes: Uint8Array): DeltaSource {
  if (!isGzip(bytes)) return () => [bytes];
  return () => gunzipped(bytes);
}

async function* gunzipped(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  const gunzip = createGunzip();
  gunzip.end(bytes);
  try {
    yield* gunzip;
  } catch (error) {
    // A damaged gzip file is a bad delta (exit 1), not a lack of resources.
    throw new CtmError('ECORRUPT', `Corrupt gzip data: ${(error as Error).message}`, CtmExit.Garbage);
  }
}

/**
 * A delta file (`NAME.NNNN.gz` or plain) as a {@link DeltaSource}. The file is read once.
 * @example
 * await applyDelta(deltaFileSource('src-cur.0042.gz'), new NodeTree('/usr/src'), { md5: nodeMd5 });
 */
export function deltaFileSource(path: string): DeltaSource {
  return deltaBytesSource(readFileSync(path));
}

/**
 * Applies a delta file to a directory: {@link applyDelta} with {@link deltaFileSource}, {@link NodeTree} and
 * {@link nodeMd5}.
 * @example
 * const result = await applyDeltaFile('src-cur.0042.gz', '/usr/src', { report: (l) => console.error(l) });
 * process.exitCode = result.status;
 */
export function applyDeltaFile(
  path: string,
  dir: string,
  options: ApplyOptions & NodeTreeOptions = {},
): Promise<ApplyResult> {
  return applyDelta(deltaFileSource(path), new NodeTree(dir, options), {
    md5: nodeMd5,
    label: path,
    ...options,
  });
}

/**
 * Writes a gzip ctm(5) delta that turns directory `before` into directory `after` (see `makeDelta`), through a
 * temporary file renamed into place: `out` is either absent or complete.
 * @example
 * await writeDeltaFile('old', 'new', 'src-cur.0042.gz', { name: 'src-cur', number: 42, date: new Date() });
 */
export async function writeDeltaFile(
  before: string,
  after: string,
  out: string,
  options: MakeDeltaOptions,
): Promise<void> {
  const temp = `${out}.tmp-${process.pid}`;
  try {
    await pipeline(
      Readable.from(makeDelta(new NodeTree(before), new NodeTree(after), { md5: nodeMd5, ...options })),
      createGzip({ level: 9 }),
      createWriteStream(temp),
    );
    renameSync(temp, out);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
