// scripts/api-surface.mjs, the check `npm test` and the packaging test run over every public entry: it must fail
// on a leaked type and on a lost export. Here on small packages written for the purpose.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSurfaces, compareSurfaces, surfaceOf } from '../../../scripts/api-surface.mjs';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'api-surface-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A package `name` in `dir/name` with entries `.` and `./node`, whose JS and declarations are given. */
function fixture(
  name: string,
  files: { js: string; dts: string; nodeJs?: string; nodeDts?: string },
): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'dist', 'node'), { recursive: true });
  const pkg = {
    name,
    type: 'module',
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './node': { types: './dist/node/index.d.ts', default: './dist/node/index.js' },
      './package.json': './package.json',
    },
  };
  writeFileSync(join(root, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(root, 'dist', 'index.js'), files.js);
  writeFileSync(join(root, 'dist', 'index.d.ts'), files.dts);
  writeFileSync(join(root, 'dist', 'node', 'index.js'), files.nodeJs ?? "export * from '../index.js';\n");
  writeFileSync(join(root, 'dist', 'node', 'index.d.ts'), files.nodeDts ?? "export * from '../index.js';\n");
  return root;
}

const LOCKER_JS = 'export function createLocker() { return { acquire: async () => ({}) }; }\n';
// As tsup writes declarations: an export list at the end (without one, every declaration of a .d.ts is exported).
const LOCKER_DTS = `interface HeldLock { release(): Promise<void>; releaseAtExit(): void }
interface Locker { acquire(path: string): Promise<HeldLock> }
declare function createLocker(): Locker;
export { type Locker, createLocker };
`;

describe('api-surface: leaked types', () => {
  it('reports an exported declaration whose type names an unexported one (Locker.acquire -> HeldLock)', async () => {
    const { leaks } = await surfaceOf(fixture('leaky', { js: LOCKER_JS, dts: LOCKER_DTS }));
    expect(leaks).toEqual(['leaky ./node: Locker refers to HeldLock, which no entry of leaky exports']);
  });

  it('passes once the type is exported, from any entry of the package', async () => {
    const fixed = fixture('fixed', {
      js: LOCKER_JS,
      dts: LOCKER_DTS.replace('export { type Locker,', 'export { type HeldLock, type Locker,'),
    });
    expect((await surfaceOf(fixed)).leaks).toEqual([]);
    const elsewhere = fixture('elsewhere', {
      js: LOCKER_JS,
      dts: `import type { HeldLock } from './held.js';\nexport interface Locker { acquire(path: string): Promise<HeldLock> }\nexport declare function createLocker(): Locker;\n`,
      nodeDts: "export * from '../index.js';\nexport type { HeldLock } from '../held.js';\n",
    });
    writeFileSync(
      join(elsewhere, 'dist', 'held.d.ts'),
      'export interface HeldLock { releaseAtExit(): void }\n',
    );
    expect((await surfaceOf(elsewhere)).leaks).toEqual([]);
  });

  it('does not count type parameters, private members, `typeof` queries or types of other packages', async () => {
    const { leaks } = await surfaceOf(
      fixture('clean', {
        js: 'export class Box {}\nexport const make = () => new Box();\n',
        dts: `declare const impl: () => Box<number>;
interface Secret { x: number }
declare class Box<T = number> { private secret; #inner; get<U extends T>(u: U): Promise<U>; private hidden(s: Secret): void }
declare const make: typeof impl & { stream: ReadableStream<Uint8Array> };
export { Box, make };
`,
      }),
    );
    expect(leaks).toEqual([]);
  });
});

describe('api-surface: the snapshot of export names', () => {
  it('records each entry by condition and reports what an entry no longer or newly exports', async () => {
    const before = fixture('pkg', {
      js: 'export const a = 1, b = 2;\n',
      dts: 'export declare const a: 1, b: 2;\nexport type T = 1;\n',
    });
    const snapshotFile = join(dir, 'snapshot.json');
    expect(await checkSurfaces([before], { update: true, snapshotFile })).toEqual([]);
    const snapshot = JSON.parse(readFileSync(snapshotFile, 'utf8'));
    expect(snapshot.pkg['.']).toEqual({ default: ['a', 'b'], types: ['T', 'a', 'b'] });
    expect(await checkSurfaces([before], { snapshotFile })).toEqual([]);

    // The same package, one export renamed (a fresh directory: a module once imported is not read again).
    const after = fixture('pkg-after', {
      js: 'export const a = 1, c = 3;\n',
      dts: 'export declare const a: 1, c: 3;\nexport type T = 1;\n',
    });
    writeFileSync(join(after, 'package.json'), readFileSync(join(before, 'package.json')));
    const problems = await checkSurfaces([after], { snapshotFile });
    expect(problems).toContain('pkg (default) no longer exports: b');
    expect(problems).toContain('pkg (default) now also exports: c');
    expect(problems).toContain('pkg/node (types) no longer exports: b');
    expect(problems.at(-1)).toMatch(/--update/);
  });

  it("with `partial`, checks and rewrites only the packages it reads, keeping the others' records", async () => {
    const one = fixture('one', { js: 'export const a = 1;\n', dts: 'export declare const a: 1;\n' });
    const two = fixture('two', { js: 'export const b = 1;\n', dts: 'export declare const b: 1;\n' });
    const snapshotFile = join(dir, 'snapshot.json');
    await checkSurfaces([one, two], { update: true, snapshotFile });
    expect(await checkSurfaces([one], { snapshotFile, partial: true })).toEqual([]);
    expect((await checkSurfaces([one], { snapshotFile })).join('\n')).toMatch(
      /two \(default\) no longer exports: b/,
    );
    await checkSurfaces([one], { update: true, snapshotFile, partial: true });
    expect(Object.keys(JSON.parse(readFileSync(snapshotFile, 'utf8')))).toEqual(['one', 'two']);
  });

  it('compareSurfaces sees an entry that went away', () => {
    const lines = compareSurfaces({ p: { './mm': { types: ['x'] } } }, { p: {} });
    expect(lines).toEqual(['p/mm (types) no longer exports: x']);
  });
});
