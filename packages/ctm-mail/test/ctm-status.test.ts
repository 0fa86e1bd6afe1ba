import { describe, expect, it } from 'vitest';
import { MemoryTree, parseCtmStatus, readCtmStatus } from '../src/delta/index.js';
import { applyCompleted } from '../src/index.js';

/** What ctm_rmail -b makes of a `.ctm_status`: the deltas it looks for, in order (none are there). */
async function rmailLooksFor(status: string): Promise<{ looked: string[]; log: string[] }> {
  const looked: string[] = [];
  const log: string[] = [];
  await applyCompleted({
    locks: { acquire: async () => ({ release: async () => {} }) },
    log: (l) => log.push(l),
    readStatus: async () => status,
    hasDelta: async (name) => {
      looked.push(name);
      return false;
    },
    runCtm: async () => true,
    removeDelta: async () => {},
  });
  return { looked, log };
}

/** What ctm makes of it: the number below which deltas are already applied. */
async function ctmReads(status: string): Promise<number | undefined> {
  const tree = new MemoryTree({ '.ctm_status': status });
  return (await readCtmStatus(tree))?.number;
}

describe('.ctm_status: one parser for ctm and ctm_rmail', () => {
  it('reads NAME NUMBER with any ASCII white space around and between', async () => {
    expect(parseCtmStatus('src-cur 42\n')).toEqual({ name: 'src-cur', number: 42 });
    expect(parseCtmStatus(' \t src-cur\t\v42 \r\n\f')).toEqual({ name: 'src-cur', number: 42 });
    expect(await ctmReads('src-cur 42\n')).toBe(42);
    expect((await rmailLooksFor('src-cur 42\n')).looked).toEqual(['src-cur.0043.gz']);
  });

  // ctm used to take the first two fields and ignore the rest; ctm_rmail refused it.
  it('refuses a third field, in ctm as in ctm_rmail', async () => {
    expect(parseCtmStatus('src-cur 42 junk')).toBeUndefined();
    expect(await ctmReads('src-cur 42 junk\n')).toBeUndefined();
    expect(await rmailLooksFor('src-cur 42 junk\n')).toEqual({
      looked: [],
      log: ['.ctm_status is not "NAME NUMBER": no delta applied'],
    });
  });

  // ctm_rmail used to take a sign (parseInt): `-1` made it look for NAME.0000.gz; ctm refused it.
  it('refuses a signed NUMBER, in ctm_rmail as in ctm', async () => {
    for (const text of ['src-cur -1', 'src-cur +42']) {
      expect(parseCtmStatus(text)).toBeUndefined();
      expect(await ctmReads(text)).toBeUndefined();
      expect((await rmailLooksFor(text)).looked).toEqual([]);
    }
  });

  // ctm took a NAME of any length; ctm_rmail (as the original, which reads it into 20 bytes) only up to 19.
  it('refuses a NAME longer than 19 characters, in ctm as in ctm_rmail', async () => {
    expect(parseCtmStatus(`${'n'.repeat(19)} 1`)).toEqual({ name: 'n'.repeat(19), number: 1 });
    expect(parseCtmStatus(`${'n'.repeat(20)} 1`)).toBeUndefined();
    expect(await ctmReads(`${'n'.repeat(20)} 1`)).toBeUndefined();
  });

  // ctm split on any Unicode white space (a no-break space, after UTF-8 decoding); C's isspace knows only ASCII.
  it('does not take a no-break space for a separator', async () => {
    expect(parseCtmStatus('src-cur\u00a042')).toBeUndefined();
    expect(await ctmReads('src-cur\u00a042')).toBeUndefined();
    expect(parseCtmStatus('src-cur 42\u00a0')).toBeUndefined();
  });

  it('refuses what is not two fields, or a NUMBER that is not decimal digits', () => {
    for (const text of [
      '',
      '\n',
      'src-cur',
      'src-cur 4x2',
      'src-cur 0x10',
      'src-cur 1e3',
      `src-cur ${'9'.repeat(20)}`,
    ]) {
      expect(parseCtmStatus(text), JSON.stringify(text)).toBeUndefined();
    }
  });
});
