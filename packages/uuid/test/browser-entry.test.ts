import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every module the built file imports, transitively, with the bare specifiers they use. */
function importGraph(entry: string): { files: string[]; specifiers: string[] } {
  const files: string[] = [];
  const specifiers: string[] = [];
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (files.includes(file)) continue;
    files.push(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:^|[\s;])(?:import|export)\s*(?:[^'"]*?from\s*)?["']([^"']+)["']/g)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) todo.push(join(dirname(file), spec));
      else specifiers.push(spec);
    }
    for (const m of code.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) specifiers.push(m[1] as string);
  }
  return { files, specifiers };
}

const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));

describe('the package entries', () => {
  it('the default (browser) entry imports no node: module, directly or through a chunk', () => {
    const { files, specifiers } = importGraph(dist('index.js'));
    expect(files.length).toBeGreaterThan(1); // it does follow the chunks
    expect(specifiers.filter((s) => s.startsWith('node:') || !s.includes(':'))).toEqual([]);
  });

  it('the node entry is the same API with node:crypto underneath', () => {
    const { specifiers } = importGraph(dist('node/main.js'));
    expect(specifiers.some((s) => s === 'node:crypto' || s === 'crypto')).toBe(true);
  });
});
