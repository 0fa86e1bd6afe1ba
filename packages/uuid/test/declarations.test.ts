import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The built declaration files (tsup bundles each entry's types into one .d.ts): a type an export refers to that is
// not exported itself shows up there as a top-level declaration without an export. None may.
const entries = ['index.d.ts', 'node/index.d.ts', 'node/main.d.ts', 'uuidd/index.d.ts', 'uuidd/node.d.ts'];

function unexported(file: string): string[] {
  const text = readFileSync(new URL(`../dist/${file}`, import.meta.url), 'utf8');
  const declared = [
    ...text.matchAll(
      /^(?:export )?(?:declare )?(?:abstract )?(?:class|interface|type|function|const|let|enum) ([\w$]+)/gm,
    ),
  ].map((m) => m[1] as string);
  const exported = new Set<string>();
  for (const m of text.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const item of (m[1] as string).split(',')) {
      const [local, alias] = item
        .trim()
        .replace(/^type /, '')
        .split(/\s+as\s+/);
      if (local) exported.add(local);
      if (alias) exported.add(alias);
    }
  }
  for (const m of text.matchAll(
    /^export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|let|enum) ([\w$]+)/gm,
  ))
    exported.add(m[1] as string);
  return [...new Set(declared.filter((name) => !exported.has(name)))];
}

describe('exported types never leak unexported ones', () => {
  for (const entry of entries) {
    it(`dist/${entry} declares nothing it does not export`, () => {
      expect(unexported(entry)).toEqual([]);
    });
  }
});
