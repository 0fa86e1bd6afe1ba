// The peer gate (test/_peers.ts over scripts/peers.mjs): on a machine without util-linux's uuid-runtime or exim4,
// their tests skip with a reason and the run names the missing packages; under CI they fail instead.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeWithPeers } from './_peers.js';

const cliDir = fileURLToPath(new URL('..', import.meta.url));
const peersScript = fileURLToPath(new URL('../../../scripts/peers.mjs', import.meta.url));
const vitestBin = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url));

/** The environment of a nested run: ours without vitest's own variables, plus `extra`. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'CI' && k !== 'NODE_ENV'),
  );
  return { ...clean, NO_COLOR: '1', ...extra };
}

function runVitest(file: string, extra: Record<string, string>) {
  const r = spawnSync(process.execPath, [vitestBin, 'run', '--reporter=verbose', file], {
    cwd: cliDir,
    env: env(extra),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('tests that need a real peer', () => {
  it('are skipped with the missing program, its package and `npm run peers` when the peer is absent', () => {
    const r = runVitest('test/uuidgen.e2e.test.ts', { SUITE_PEERS_MISSING: 'uuidgen' });
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/Tests +(\d+) skipped \(\1\)/); // every test of the file skipped, none run
    expect(r.output).not.toMatch(/\d+ failed/);
    expect(r.output).toContain(
      'uuidgen interop with util-linux [skipped: needs /usr/bin/uuidgen (Debian uuid-runtime; install with `npm run peers`)]',
    );
  });

  it('fail under CI=true, naming what is missing, instead of skipping', () => {
    const r = runVitest('test/uuidgen.e2e.test.ts', { SUITE_PEERS_MISSING: 'uuidgen', CI: 'true' });
    expect(r.status).toBe(1);
    expect(r.output).toContain('needs /usr/bin/uuidgen (Debian uuid-runtime; install with `npm run peers`)');
    expect(r.output).toMatch(/1 failed/);
  });

  it('skip every uuidd interop test without an uncaught error when util-linux uuidd is absent', () => {
    const r = runVitest('test/uuidd.e2e.test.ts', { SUITE_PEERS_MISSING: 'uuidd,uuidparse' });
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toMatch(/Unhandled|uncaught|ENOENT/i);
    expect(r.output).toMatch(/\d+ passed/); // the tests of ours alone still run
  });
});

describe('the summary line of `npm test`', () => {
  it('names the missing packages and the one command that installs them', () => {
    const r = spawnSync(process.execPath, [peersScript, '--summary'], {
      env: env({ SUITE_PEERS_MISSING: 'uuidd,exim4' }),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'peers: skipped the tests that need uuidd, exim4 (missing Debian packages: uuid-runtime, ' +
        'exim4-daemon-light); install them with `npm run peers`\n',
    );
  });
});

describeWithPeers(['uuidgen', 'uuidparse', 'uuidd', 'exim4'], 'with every peer installed', () => {
  it('the summary says nothing', () => {
    const r = spawnSync(process.execPath, [peersScript, '--summary'], { env: env({}), encoding: 'utf8' });
    expect(r.stdout).toBe('');
  });
});
