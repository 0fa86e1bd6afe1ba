import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tools } from '../src/tools.js';
import { bin } from './_support.js';

const run = promisify(execFile);
describe('suite', () => {
  it('lists every tool with --help', async () => {
    const { stdout } = await run(process.execPath, [bin('suite'), '--help']);
    for (const name of Object.keys(tools)) expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('refuses an unknown tool with exit 2 and names it', async () => {
    const error = await run(process.execPath, [bin('suite'), 'frobnicate']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown tool 'frobnicate'") });
  });

  it('has a bin file for every tool, the one package.json names, that runs that tool', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      bin: Record<string, string>;
    };
    for (const name of Object.keys(tools)) {
      expect(pkg.bin[name], name).toBeDefined();
      const file = new URL(`../${pkg.bin[name]}`, import.meta.url);
      expect(await readFile(file, 'utf8')).toContain(`run('${name}')`);
    }
  });
});
