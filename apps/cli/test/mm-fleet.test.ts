import { describe, expect, it } from 'vitest';
import { tool } from './_support.js';

const tooOld = (() => {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major < 22 || (major === 22 && minor < 12);
})();

describe('mm fleet command line', () => {
  it('mm worker without --fleet is a usage error (exit 2)', async () => {
    const r = await tool('mm', ['worker']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mm: mm worker needs --fleet URL');
    expect(r.stdout).toBe('');
  });

  it('refuses a --fleet that is not a postgres:// URL, and a bad --site-max, naming them', async () => {
    const bad = await tool('mm', ['--fleet', 'mysql://x/y', 'mm.conf']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--fleet mysql://x/y: not a postgres:// URL');
    const max = await tool('mm', ['--fleet', 'postgres://x/y', '--site-max', 'lots', 'mm.conf']);
    expect(max.code).toBe(2);
    expect(max.stderr).toContain('--site-max lots: not a number >= 1');
  });

  it.runIf(tooOld)('says the fleet needs Node >= 22.12 under an older Node (exit 2)', async () => {
    const r = await tool('mm', ['worker', '--fleet', 'postgres://127.0.0.1:1/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the fleet runs on pg-boss 12, which needs Node >= 22.12');
  });

  it.skipIf(tooOld)('says which database it could not reach (exit 2, no stack trace)', async () => {
    const r = await tool('mm', ['--status', '--fleet', 'postgres://nobody:secret@127.0.0.1:1/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^mm: fleet postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/x: database: .*ECONNREFUSED/m,
    );
    expect(r.stderr).not.toContain('    at ');
  });
});
