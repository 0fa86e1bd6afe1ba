// A real PostgreSQL for the fleet tests: Debian's server binaries, a temporary cluster owned by an unprivileged
// user (`nobody` when the tests run as root), listening on 127.0.0.1 at a free port, its socket in the data dir.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@suite/internal/testing';

/** The bin directory of the newest installed PostgreSQL server, if any. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** Whether this Node can run pg-boss 12 (>= 22.12); under an older one the fleet tests are skipped, even in CI. */
export function nodeTooOld(): string | undefined {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 12)) return undefined;
  return `pg-boss 12 needs Node >= 22.12 (this is ${process.version}); CI runs them under Node 24 (npx -y node@24)`;
}

/**
 * Why the fleet tests cannot run here, or undefined if they can. A missing PostgreSQL or setpriv is a failure
 * under CI=true (CI installs them), a skip elsewhere.
 */
export function fleetSkipReason(): string | undefined {
  const old = nodeTooOld();
  if (old !== undefined) return old;
  const missing =
    postgresBin() === undefined
      ? 'PostgreSQL server binaries not found (apt-get install postgresql)'
      : existsSync('/usr/bin/setpriv')
        ? undefined
        : 'setpriv (util-linux) not found';
  if (missing !== undefined && process.env.CI === 'true')
    throw new Error(`fleet tests cannot run under CI: ${missing}`);
  return missing;
}

/** A throwaway PostgreSQL cluster. */
export class TestPostgres {
  #process: ChildProcess | undefined;
  readonly bin: string;
  readonly dir: string;
  readonly port: number;
  readonly asUser: readonly string[];
  // No parameter properties: the benchmark imports this file with Node's type stripping.
  private constructor(bin: string, dir: string, port: number, asUser: readonly string[]) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asUser = asUser;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<TestPostgres> {
    const bin = postgresBin();
    if (bin === undefined) throw new Error('no PostgreSQL server installed');
    const dir = mkdtempSync(join(tmpdir(), 'mm-fleet-pg-'));
    // postgres refuses to run as root: run it as nobody, which must own the data directory.
    const root = process.getuid?.() === 0;
    const asUser = root
      ? ['/usr/bin/setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--']
      : [];
    if (root)
      chownSync(
        dir,
        Number(execFileSync('id', ['-u', 'nobody']).toString()),
        Number(execFileSync('id', ['-g', 'nobody']).toString()),
      );
    const [cmd, ...args] = [
      ...asUser,
      join(bin, 'initdb'),
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      '-A',
      'trust',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ];
    execFileSync(cmd!, args, { stdio: 'ignore', cwd: '/' });
    const pg = new TestPostgres(bin, dir, await freePort(), asUser);
    await pg.start();
    return pg;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const [cmd, ...args] = [
      ...this.asUser,
      join(this.bin, 'postgres'),
      '-D',
      join(this.dir, 'data'),
      '-p',
      String(this.port),
      '-k',
      this.dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=100',
    ];
    this.#process = spawn(cmd!, args, { stdio: 'ignore', cwd: '/' });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        execFileSync(
          join(this.bin, 'pg_isready'),
          ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres'],
          {
            stdio: 'ignore',
          },
        );
        return;
      } catch {
        if (Date.now() > deadline) throw new Error('PostgreSQL did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the server (fast shutdown: clients are disconnected) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.#process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGINT');
    await exited;
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
