import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The suite's own `ctm` bin, found from this module (dist/ sits beside bin/). */
export function suiteCtmBin(): string {
  return fileURLToPath(new URL('../bin/ctm.js', import.meta.url));
}

/** Options of {@link runCtm}. */
export interface CtmRun {
  /** `--ctm PATH` or `$CTM`: another ctm program; by default the suite's own, run with this Node. */
  readonly program?: string | undefined;
  readonly setTime: boolean;
  readonly verbose: boolean;
  /** The tree: ctm runs there. */
  readonly baseDir: string;
}

/**
 * Runs `ctm [-u] [-v] DELTA` in the tree as the original ctm_rmail does, but spawned directly (no shell, so no
 * name can inject a command); every line of its output (stdout and stderr) goes to `onLine`. Resolves to whether
 * it exited 0.
 */
export function runCtm(
  run: CtmRun,
  deltaPath: string,
  onLine: (line: string) => void,
  onSpawn?: (pid: number) => Promise<void>,
): Promise<boolean> {
  const args = [...(run.setTime ? ['-u'] : []), ...(run.verbose ? ['-v'] : []), deltaPath];
  const [command, argv] = run.program ? [run.program, args] : [process.execPath, [suiteCtmBin(), ...args]];
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: run.baseDir, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined && onSpawn) onSpawn(child.pid).catch(() => {});
    // Lines are cut as bytes and decoded whole: a character split between two reads is not mangled.
    let pending: Buffer = Buffer.alloc(0);
    const take = (data: Buffer) => {
      pending = pending.length > 0 ? Buffer.concat([pending, data]) : data;
      let nl = pending.indexOf(10);
      while (nl >= 0) {
        onLine(pending.toString('utf8', 0, nl));
        pending = pending.subarray(nl + 1);
        nl = pending.indexOf(10);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => {
      onLine(`cannot run ${command}: ${error.message}`);
      resolve(false);
    });
    child.on('close', (code) => {
      if (pending.length > 0) onLine(pending.toString('utf8'));
      resolve(code === 0);
    });
  });
}
