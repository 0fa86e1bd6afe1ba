import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes, tool } from './_support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-smail-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A fake sendmail: records its arguments and each message, exits with $FAKE_STATUS. */
function fakeSendmail(): string {
  const path = join(dir, 'sendmail');
  mkdirSync(join(dir, 'sent'));
  writeFileSync(
    path,
    `#!/bin/sh\nn=$(ls "${dir}/sent" | wc -l)\necho "$@" > "${dir}/sent/args"\ncat > "${dir}/sent/msg.$(printf %03d $((n+1)))"\nexit \${FAKE_STATUS:-0}\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe('ctm_smail', () => {
  it('pipes each piece to `sendmail -odq -t` and logs "NAME P/N sent to ALIAS"', async () => {
    const sendmail = fakeSendmail();
    writeFileSync(join(dir, 'src-cur.0042.gz'), randomBytes(5000));
    const r = await tool('ctm_smail', [
      '-m',
      '2000',
      '--sendmail',
      sendmail,
      join(dir, 'src-cur.0042.gz'),
      'ctm-list',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [1, 2, 3, 4].map((p) => `ctm_smail: src-cur.0042.gz ${p}/4 sent to ctm-list\n`).join(''),
    );
    expect(readFileSync(join(dir, 'sent/args'), 'utf8')).toBe('-odq -t\n');
    const first = readFileSync(join(dir, 'sent/msg.001'), 'latin1');
    expect(
      first.startsWith(
        'From: owner-ctm-list\nTo: ctm-list\nSubject: ctm-mail src-cur.0042.gz 1/4\n\nCTM_MAIL BEGIN src-cur.0042.gz 1 4\n',
      ),
    ).toBe(true);
    expect(first).toMatch(/\nCTM_MAIL END \d+\n$/);
  });

  it('takes the sendmail program from $SENDMAIL', async () => {
    const sendmail = fakeSendmail();
    writeFileSync(join(dir, 'd.gz'), 'x');
    const r = await tool('ctm_smail', [join(dir, 'd.gz'), 'l'], { env: { SENDMAIL: sendmail } });
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'sent'))).toContain('msg.001');
  });

  it('reports a failing sendmail with its wait status, and a missing one, and exits 1', async () => {
    const sendmail = fakeSendmail();
    writeFileSync(join(dir, 'd.gz'), 'x');
    const failed = await tool('ctm_smail', ['--sendmail', sendmail, join(dir, 'd.gz'), 'l'], {
      env: { FAKE_STATUS: '3' },
    });
    expect(failed).toMatchObject({ code: 1, stderr: 'ctm_smail: sendmail failed with status 768\n' });
    const missing = await tool('ctm_smail', ['--sendmail', join(dir, 'nope'), join(dir, 'd.gz'), 'l']);
    expect(missing).toMatchObject({ code: 1, stderr: 'ctm_smail: cannot start sendmail\n' });
  });

  it('queues with -q: "queued for" per piece, files NAME+PPP-NNN, no temporaries left', async () => {
    mkdirSync(join(dir, 'q'));
    writeFileSync(join(dir, 'src-cur.0001.gz'), randomBytes(3000));
    const r = await tool('ctm_smail', ['-m1500', '-q', join(dir, 'q'), join(dir, 'src-cur.0001.gz'), 'list']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [1, 2, 3].map((p) => `ctm_smail: src-cur.0001.gz ${p}/3 queued for list\n`).join(''),
    );
    expect(readdirSync(join(dir, 'q')).sort()).toEqual([
      'src-cur.0001.gz+001-003',
      'src-cur.0001.gz+002-003',
      'src-cur.0001.gz+003-003',
    ]);
  });

  it('sends or queues the notice for a delta above -c', async () => {
    mkdirSync(join(dir, 'q'));
    writeFileSync(join(dir, 'src-cur.0999.gz'), randomBytes(1000));
    const r = await tool('ctm_smail', [
      '-c',
      '300',
      '-q',
      join(dir, 'q'),
      join(dir, 'src-cur.0999.gz'),
      'src-cur',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'q/src-cur.0999.gz+001-001'), 'utf8')).toBe(
      'From: owner-src-cur\nTo: src-cur\nSubject: ctm-notice src-cur.0999.gz\n\n' +
        'src-cur.0999.gz is 1000 bytes.  The limit is 300 bytes.\n\nYou can retrieve this delta via ftp.\n',
    );
  });

  it('sends the notice through sendmail too, and says on stderr when the log cannot be opened', async () => {
    const sendmail = fakeSendmail();
    writeFileSync(join(dir, 'big.gz'), randomBytes(500));
    const r = await tool('ctm_smail', [
      '-l',
      join(dir, 'no/such/log'),
      '-c',
      '100',
      '--sendmail',
      sendmail,
      join(dir, 'big.gz'),
      'l',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: `ctm_smail: cannot log to '${join(dir, 'no/such/log')}'\n` });
    expect(readFileSync(join(dir, 'sent/msg.001'), 'utf8')).toBe(
      'From: owner-l\nTo: l\nSubject: ctm-notice big.gz\n\nbig.gz is 500 bytes.  The limit is 100 bytes.\n\nYou can retrieve this delta via ftp.\n',
    );
  });

  it('logs to -l with time stamps "YYYY-MM-DD HH:MM message"', async () => {
    writeFileSync(join(dir, 'd.gz'), 'abc');
    const r = await tool('ctm_smail', [
      '-l',
      join(dir, 'log'),
      '--mbox',
      join(dir, 'mbox'),
      join(dir, 'd.gz'),
      'l',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'log'), 'utf8')).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d d\.gz 1\/1 sent to l\n$/,
    );
    expect(readFileSync(join(dir, 'mbox'), 'latin1')).toMatch(/^From owner-l .*\nFrom: owner-l\n/);
  });

  it('refuses bad input clearly, exits 1 and queues nothing', async () => {
    mkdirSync(join(dir, 'q'));
    writeFileSync(join(dir, 'empty.gz'), '');
    writeFileSync(join(dir, 'd.gz'), 'abc');
    writeFileSync(join(dir, 'file'), '');
    const q = join(dir, 'q');
    const cases: [string[], RegExp][] = [
      [['-q', q, join(dir, 'empty.gz'), 'l'], /empty\.gz: the delta is empty: nothing to send/],
      [['-m', '0', '-q', q, join(dir, 'd.gz'), 'l'], /-m must be at least 1, not 0\nusage: ctm_smail /],
      [['-m', 'lots', '-q', q, join(dir, 'd.gz'), 'l'], /-m needs a number, not 'lots'/],
      [['-q', q, join(dir, 'missing.gz'), 'l'], /missing\.gz: No such file or directory/],
      [['-q', q, dir, 'l'], /: Is a directory/],
      [
        ['-q', join(dir, 'nope'), join(dir, 'd.gz'), 'l'],
        /queue directory '.*nope': No such file or directory/,
      ],
      [['-q', join(dir, 'file'), join(dir, 'd.gz'), 'l'], /queue directory '.*file': Not a directory/],
      [
        ['-q', q, join(dir, 'd.gz')],
        /^usage: ctm_smail \[-l log\] \[-m maxmsgsize\] \[-c maxctmsize\] \[-q queuedir\] ctm-delta mail-alias/,
      ],
      [['-x', join(dir, 'd.gz'), 'l'], /unknown option '-x'/],
      [['-q', q, join(dir, 'd.gz'), 'two words'], /mail alias 'two words' must be one address/],
    ];
    for (const [args, message] of cases) {
      const r = await tool('ctm_smail', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(readdirSync(q)).toEqual([]);
  });
});
