// `npm run demo`: a short end-to-end run of the suite's tools, in a temporary directory, over loopback only.
// Each step is a file `NN-name.mjs` beside this one that default-exports `async (ctx) => {}`; steps run in order.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const binDir = fileURLToPath(new URL('../../apps/cli/bin/', import.meta.url));

/** Runs a suite tool; prints and returns its output; fails the demo on an unexpected exit status. */
function tool(name, args, { cwd, input, expectStatus = 0, env } = {}) {
  return new Promise((resolve, reject) => {
    console.log(`$ ${name} ${args.map((a) => (/[\s'"$]/.test(a) ? `'${a}'` : a)).join(' ')}`);
    const child = spawn(process.execPath, [join(binDir, `${name}.js`), ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      process.stdout.write(d);
    });
    child.stdin.end(input ?? '');
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== expectStatus) reject(new Error(`${name} exited ${status}, expected ${expectStatus}`));
      else resolve({ stdout, stderr, status });
    });
  });
}

const dir = await mkdtemp(join(tmpdir(), 'suite-demo-'));
const steps = (await readdir(here)).filter((f) => /^\d\d-.*\.mjs$/.test(f)).sort();
let failed = false;
try {
  for (const step of steps) {
    console.log(`\n== ${step.replace(/^\d\d-|\.mjs$/g, '')} ==`);
    const { default: run } = await import(pathToFileURL(join(here, step)).href);
    await run({ dir, tool, log: (line) => console.log(line) });
  }
  console.log(`\ndemo: ${steps.length} steps ran in ${dir} (removed)`);
} catch (error) {
  failed = true;
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : error}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
