import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
// The package's entries, as package.json maps them: `.`, `./node`, `./delta`, `./delta/node`.
import * as delta from '../src/delta/index.js';
import { CtmError, type DeltaSource, readDelta } from '../src/delta/index.js';
import * as root from '../src/index.js';
import * as deltaNode from '../src/node/delta.js';
import { deltaFileSource } from '../src/node/delta.js';
import * as node from '../src/node/index.js';

const DELTA_EXPORTS = [
  'applyDelta',
  'readDelta',
  'makeDelta',
  'encodeDelta',
  'diffTrees',
  'MemoryTree',
  'CtmError',
  'CtmExit',
  'parseCtmStatus',
  'readCtmStatus',
  'STATUS_FILE',
  'CTM_DELTA_VERSION',
];
const DELTA_NODE_EXPORTS = [
  'NodeTree',
  'applyDeltaFile',
  'writeDeltaFile',
  'deltaFileSource',
  'deltaBytesSource',
];
const MAIL_EXPORTS = [
  'splitDelta',
  'PieceIntake',
  'PieceScanner',
  'readMaildrop',
  'applyCompleted',
  'CtmMailError',
];

describe('one domain per entry', () => {
  it('`const s: DeltaSource = deltaFileSource(p)` compiles from @suite/ctm-mail/delta and /delta/node, and reads the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctm-entries-'));
    try {
      const p = join(dir, 'x.0001');
      writeFileSync(p, 'not a delta\n');
      const s: DeltaSource = deltaFileSource(p);
      expectTypeOf(deltaFileSource).returns.toEqualTypeOf<DeltaSource>();
      expectTypeOf<deltaNode.DeltaSource>().toEqualTypeOf<DeltaSource>();
      expectTypeOf(delta.applyDelta).parameter(0).toEqualTypeOf<DeltaSource>();
      await expect(async () => {
        for await (const _ of readDelta(s())) break;
      }).rejects.toBeInstanceOf(CtmError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the mail pieces' DeltaSource (a reader for splitDelta) at the root, a different type from the delta format's", () => {
    expectTypeOf<root.DeltaSource>().toHaveProperty('read');
    expectTypeOf<root.DeltaSource>().not.toBeFunction();
    expectTypeOf<DeltaSource>().toBeFunction(); // the delta format's: a new pass of chunks at each call
    expectTypeOf(node.fdSource).returns.toEqualTypeOf<root.DeltaSource>();
  });

  it('exports the delta format from ./delta (and with its Node adapters from ./delta/node), not from . or ./node', () => {
    for (const name of DELTA_EXPORTS) {
      expect(delta, name).toHaveProperty(name);
      expect(deltaNode, name).toHaveProperty(name);
      expect(root, name).not.toHaveProperty(name);
      expect(node, name).not.toHaveProperty(name);
    }
    for (const name of DELTA_NODE_EXPORTS) {
      expect(deltaNode, name).toHaveProperty(name);
      expect(node, name).not.toHaveProperty(name);
    }
    for (const name of MAIL_EXPORTS) {
      expect(root, name).toHaveProperty(name);
      expect(node, name).toHaveProperty(name);
      expect(delta, name).not.toHaveProperty(name);
      expect(deltaNode, name).not.toHaveProperty(name);
    }
  });

  it("gives the delta format its own error class with a code and ctm's exit status, apart from the mail side's", () => {
    const error = new delta.CtmError('ECORRUPT', 'bad', delta.CtmExit.Garbage);
    expect(error).toMatchObject({ name: 'CtmError', code: 'ECORRUPT', status: 1 });
    expect(error).not.toBeInstanceOf(root.CtmMailError);
    expectTypeOf(error.code).toEqualTypeOf<delta.CtmErrorCode>();
  });

  it('maps each entry in package.json to the file tsup builds from its source', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const tsup = readFileSync(new URL('../tsup.config.ts', import.meta.url), 'utf8');
    const entries: [string, string, string][] = [
      ['.', 'index', "index: 'src/index.ts'"],
      ['./node', 'node/index', "'node/index': 'src/node/index.ts'"],
      ['./delta', 'delta/index', "'delta/index': 'src/delta/index.ts'"],
      ['./delta/node', 'delta/node', "'delta/node': 'src/node/delta.ts'"],
    ];
    for (const [subpath, out, entry] of entries) {
      expect(pkg.exports[subpath]).toEqual({ types: `./dist/${out}.d.ts`, default: `./dist/${out}.js` });
      expect(tsup).toContain(entry);
    }
  });
});
