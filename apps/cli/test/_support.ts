// What the CLI tests share: running the suite's bins (and the real peers) as real processes, and test data.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The absolute path of one of our bin files (`apps/cli/bin/NAME.js`). */
export const bin = (name: string): string => fileURLToPath(new URL(`../bin/${name}.js`, import.meta.url));

/** What a finished process left: its exit status and everything it wrote. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of our tools with the current Node, asynchronously; stdin gets `input` (or nothing). */
export function tool(
  name: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: Buffer | string } = {},
): Promise<Ran> {
  return new Promise<Ran>((resolve, reject) => {
    const child = spawn(process.execPath, [bin(name), ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {}); // a tool that exits without reading its stdin is not a test failure
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a program to its end, synchronously (stdin: `input`, or nothing). */
export function runProgram(
  file: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Ran {
  const r = spawnSync(file, args, {
    input: options.input ?? '',
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs one of our bins (`uuidgen`, `uuidparse`, ...) with the current Node, synchronously. */
export function runOurs(
  name: string,
  args: readonly string[],
  options?: { input?: string; env?: NodeJS.ProcessEnv },
): Ran {
  return runProgram(process.execPath, [bin(name), ...args], options);
}

/** `n` bytes of reproducible noise (xorshift32 from `seed`): deltas that compress badly, as real ones do. */
export function randomBytes(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
