import { describe, expect, it } from 'vitest';
import { FleetError } from '../src/pg-boss/fleet-error.js';
import { siteOf, specOf } from '../src/pg-boss/fleet-job.js';

describe('fleet jobs', () => {
  it("takes a job's site from its site field, else from before the last ':' of its id", () => {
    expect(siteOf({ id: 'ftp.x.org:gnu:tools', command: 'true' })).toBe('ftp.x.org:gnu');
    expect(siteOf({ id: 'x', command: 'true', site: 'mirror.test' } as never)).toBe('mirror.test');
    expect(siteOf({ id: 'nocolon', command: 'true' })).toBe('nocolon');
  });

  it('refuses to send a job with a run function to the fleet (EBADJOB), naming it', () => {
    let error: unknown;
    try {
      specOf({ id: 'ci:warm', run: () => 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FleetError);
    expect(error).toMatchObject({ code: 'EBADJOB', message: expect.stringContaining('job ci:warm') });
  });

  it('keeps what a worker needs as JSON, and drops an infinite backoff maximum that JSON cannot carry', () => {
    const spec = specOf({
      id: 'a:b',
      command: 'exec ./mirror "$@"',
      args: ['-v'],
      env: { MM_SITE: 'a' },
      cwd: '/srv',
      retryAfterSuccess: 10,
      retryAfterFailure: 5,
      backoff: { factor: 3, max: Number.POSITIVE_INFINITY },
      timeout: 99,
    });
    expect(JSON.parse(JSON.stringify(spec))).toEqual({
      id: 'a:b',
      site: 'a',
      command: 'exec ./mirror "$@"',
      args: ['-v'],
      env: { MM_SITE: 'a' },
      cwd: '/srv',
      retryAfterSuccess: 10,
      retryAfterFailure: 5,
      backoff: { factor: 3 },
      timeout: 99,
    });
  });
});
