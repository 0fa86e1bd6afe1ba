// defineTool(), the prologue and epilogue of every command, on a probe command bundled from the real source and run
// as a real process: --help and --version, the exit status, a write error on stdout, and a bug reported as one.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const dir = mkdtempSync(join(tmpdir(), 'define-tool-'));
const probe = join(dir, 'probe.mjs'); // built from probe.ts by tsup

// `probe WORD`: ok prints a line; status N exits N; boom throws; big prints 1 MiB; inner runs a second command
// (as `suite TOOL` does); --help and --version are answered before run(); `opts` is a command that answers them
// among its options.
const PROBE = `
import { defineTool } from '${join(src, 'shared', 'define-tool.ts')}';
const inner = defineTool({ name: 'inner', help: 'inner help\\n', async run() {
  process.stdout.write('x'.repeat(1 << 20));
  return 0;
} });
const opts = defineTool({ name: 'opts', help: 'opts help\\n', version: 'opts 2\\n', answers: 'options',
  async run(argv, tool) {
    if (argv.includes('--version')) return tool.version();
    return argv.includes('--help') ? tool.help() : 5;
  } });
const probe = defineTool({ name: 'probe', help: 'Usage: probe WORD\\n', version: 'probe 1\\n', helpWords: ['--help', '-h'],
  async run(argv) {
    const [word, arg] = argv;
    if (word === 'ok') process.stdout.write('ok\\n');
    if (word === 'status') return Number(arg);
    if (word === 'boom') throw new Error('boom');
    if (word === 'big') process.stdout.write('x'.repeat(1 << 20));
    if (word === 'inner') return inner.main(argv.slice(1));
    if (word === 'opts') return opts.main(argv.slice(1));
    return 0;
  } });
process.exitCode = await probe.main(process.argv.slice(2));
`;

beforeAll(async () => {
  writeFileSync(join(dir, 'probe.ts'), PROBE);
  await build({
    entry: [join(dir, 'probe.ts')],
    outDir: dir,
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node20',
    config: false,
    silent: true,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], stdout: 'pipe' | 'full' = 'pipe') {
  const out = stdout === 'full' ? openSync('/dev/full', 'w') : 'pipe';
  const r = spawnSync(process.execPath, [probe, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', out, 'pipe'],
  });
  if (typeof out === 'number') closeSync(out);
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr };
}

describe('defineTool', () => {
  it('runs the command and exits with its status', () => {
    expect(run(['ok'])).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    expect(run(['status', '3'])).toEqual({ code: 3, stdout: '', stderr: '' });
  });

  it('answers --help, its other help words and --version as the first argument, on stdout with status 0', () => {
    expect(run(['--help', 'boom'])).toEqual({ code: 0, stdout: 'Usage: probe WORD\n', stderr: '' });
    expect(run(['-h'])).toEqual({ code: 0, stdout: 'Usage: probe WORD\n', stderr: '' });
    expect(run(['--version'])).toEqual({ code: 0, stdout: 'probe 1\n', stderr: '' });
    expect(run(['ok', '--help'])).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
  });

  it('leaves --help and --version to a command that answers them among its options', () => {
    expect(run(['opts', '-x', '--help'])).toEqual({ code: 0, stdout: 'opts help\n', stderr: '' });
    expect(run(['opts', '--version'])).toEqual({ code: 0, stdout: 'opts 2\n', stderr: '' });
    expect(run(['opts'])).toEqual({ code: 5, stdout: '', stderr: '' });
  });

  it('reports a write error on stdout once, as NAME: write error, and makes the status 1', () => {
    expect(run(['big'], 'full')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'probe: write error: No space left on device\n',
    });
    expect(run(['--help'], 'full')).toMatchObject({
      code: 1,
      stderr: 'probe: write error: No space left on device\n',
    });
  });

  it("keeps the dispatcher's boundary for a command it runs: the write error is named after the dispatcher", () => {
    expect(run(['inner'], 'full')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'probe: write error: No space left on device\n',
    });
  });

  it('shows a bug whole, as NAME: internal error with its stack, and exits 70', () => {
    const r = run(['boom']);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^probe: internal error: Error: boom\n\s+at /);
  });
});
