// `npm run demo` on a fresh machine: no rsync, no util-linux peers, no MTA; only what every base system has.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../../../scripts/demo/run.mjs', import.meta.url));
const ABSENT = new Set(['rsync', 'uuidgen', 'uuidparse', 'uuidd', 'exim4', 'sendmail', 'flock', 'ctm']);
const pathDir = mkdtempSync(join(tmpdir(), 'demo-path-'));
afterAll(() => rmSync(pathDir, { recursive: true, force: true }));

describe('npm run demo', () => {
  it('shows every tool with nothing but the base system on PATH (no rsync, no uuid-runtime, no MTA)', () => {
    // A PATH holding every program of this machine except the ones a fresh machine lacks.
    for (const dir of ['/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (ABSENT.has(name)) continue;
        try {
          symlinkSync(join(dir, name), join(pathDir, name));
        } catch {
          // the same name earlier on PATH wins, as it would
        }
      }
    }
    const r = spawnSync(process.execPath, [demo], {
      env: { ...process.env, PATH: pathDir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    for (const tool of [
      'suite',
      'uuidgen',
      'uuidparse',
      'uuidd',
      'lock',
      'mm',
      'pkgs_to_mmin',
      'ctm_smail',
      'ctm_dequeue',
      'ctm_rmail',
      'ctm',
    ]) {
      expect(r.stdout, `the demo runs ${tool}`).toMatch(new RegExp(`^\\$ ${tool} `, 'm'));
    }
    expect(r.stdout).toMatch(/^mirrored: ftp\.example\.org gnu tools$/m);
    expect(r.stdout).toMatch(/^demo: \d+ steps ran in /m);
  });
});
