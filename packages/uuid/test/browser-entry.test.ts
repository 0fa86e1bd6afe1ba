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

  it('the uuidd protocol entry (@suite/uuid/uuidd) imports no node: module either', () => {
    const { specifiers } = importGraph(dist('uuidd/index.js'));
    expect(specifiers.filter((s) => s.startsWith('node:') || !s.includes(':'))).toEqual([]);
  });

  it('the root is the uuid-compatible API: the uuidd protocol, client and server are only under @suite/uuid/uuidd', async () => {
    const root = await import(dist('index.js'));
    const node = await import(dist('node/index.js'));
    const uuidd = await import(dist('uuidd/index.js'));
    const uuiddNode = await import(dist('uuidd/node.js'));
    for (const name of ['encodeUuiddRequest', 'UuiddResponder', 'UUIDD_OP_TIME_UUID', 'UuiddProtocolError']) {
      expect(root, name).not.toHaveProperty(name);
      expect(uuidd, name).toHaveProperty(name);
      expect(uuiddNode, name).toHaveProperty(name);
    }
    for (const name of [
      'UuiddServer',
      'UuiddClient',
      'UuiddCallError',
      'DEFAULT_UUIDD_SOCKET',
      'describeSystemError',
    ]) {
      expect(node, name).not.toHaveProperty(name);
      expect(uuiddNode, name).toHaveProperty(name);
    }
    expect(node).toHaveProperty('v1Safe'); // libuuid's uuid_generate_time_safe stays with the Node adapters
  });

  it('the node entry is the same API with node:crypto underneath', () => {
    const { specifiers } = importGraph(dist('node/main.js'));
    expect(specifiers.some((s) => s === 'node:crypto' || s === 'crypto')).toBe(true);
  });
});
