import { type Md5Factory, portableMd5 } from './md5.js';
import type { DeltaHeader, DeltaRecord } from './record.js';

/** Names are byte strings (one character per byte): a control line is written back byte for byte. */
const encoder = {
  encode(line: string): Uint8Array {
    const out = new Uint8Array(line.length);
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c > 0xff)
        throw new RangeError(`not a byte string (a name holds U+${c.toString(16).padStart(4, '0')})`);
      out[i] = c;
    }
    return out;
  },
};
const NEWLINE = Uint8Array.of(0x0a);

/** The control line of a record (with its newline), and its data block if it has one. */
function encodeRecord(r: DeltaRecord): Uint8Array[] {
  switch (r.key) {
    case 'FM':
      return block(`CTMFM ${r.name} ${r.uid} ${r.gid} ${r.mode} ${r.md5After} ${r.data.length}\n`, r.data);
    case 'FS':
    case 'FN':
    case 'FE':
      return block(
        `CTM${r.key} ${r.name} ${r.uid} ${r.gid} ${r.mode} ${r.md5Before} ${r.md5After} ${r.data.length}\n`,
        r.data,
      );
    case 'FR':
      return [encoder.encode(`CTMFR ${r.name} ${r.md5Before}\n`)];
    case 'AS':
    case 'DM':
      return [encoder.encode(`CTM${r.key} ${r.name} ${r.uid} ${r.gid} ${r.mode}\n`)];
    case 'DR':
      return [encoder.encode(`CTMDR ${r.name}\n`)];
  }
}

function block(line: string, data: Uint8Array): Uint8Array[] {
  return [encoder.encode(line), data, NEWLINE];
}

/**
 * Writes a ctm(5) delta: the `CTM_BEGIN` line, each record, and `CTM_END` with the MD5 of everything before it,
 * as chunks to stream to a file (gzip it to get `NAME.NNNN.gz`).
 * @example
 * const chunks = [];
 * for await (const c of encodeDelta({ name: 'src-cur', number: '42', timestamp: '20260101120000Z', prefix: '.' }, records)) chunks.push(c);
 */
export async function* encodeDelta(
  header: Omit<DeltaHeader, 'version'>,
  records: AsyncIterable<DeltaRecord> | Iterable<DeltaRecord>,
  md5: Md5Factory = portableMd5,
): AsyncGenerator<Uint8Array, void, undefined> {
  const hash = md5();
  const emit = (chunk: Uint8Array) => {
    hash.update(chunk);
    return chunk;
  };
  yield emit(
    encoder.encode(`CTM_BEGIN 2.0 ${header.name} ${header.number} ${header.timestamp} ${header.prefix}\n`),
  );
  for await (const record of records) for (const chunk of encodeRecord(record)) yield emit(chunk);
  yield emit(encoder.encode('CTM_END '));
  yield encoder.encode(`${hash.hex()}\n`);
}

/** A date as a delta's timestamp, `YYYYMMDDHHMMSSZ` (UTC). */
export function deltaTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-T:]/g, '')}Z`;
}
