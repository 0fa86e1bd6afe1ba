import { createHash } from 'node:crypto';
import { type DeltaRecord, encodeDelta, type MaybePromise, type MemoryTree } from '../src/delta/index.js';

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
export const md5 = (s: string | Uint8Array): string => createHash('md5').update(s).digest('hex');

/** A delta written by hand, byte for byte as ctm(5) and mkctm lay it out (`md5 -p` adds the last line). */
export function handDelta(body: string, header = 'CTM_BEGIN 2.0 test 1 20260101120000Z .\n'): Uint8Array {
  const signed = `${header}${body}CTM_END `;
  return bytes(`${signed}${md5(signed)}\n`);
}

/** Our writer's bytes for some records. */
export async function encode(records: DeltaRecord[], number = '1', name = 'test'): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of encodeDelta({ name, number, timestamp: '20260101120000Z', prefix: '.' }, records)) {
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export async function collect(gen: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of gen) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A tree that fails (as a kill -9 would stop it) before its `limit`-th change. */
export function crashingAfter<T extends MemoryTree>(tree: T, limit: number): T {
  let n = 0;
  const mutating = new Set(['writeFile', 'remove', 'makeDir', 'removeDir', 'setMode', 'setTime']);
  return new Proxy(tree, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): MaybePromise<unknown> => {
        if (mutating.has(String(prop)) && n++ >= limit) throw new Error('killed');
        return value.apply(target, args);
      };
    },
  });
}
