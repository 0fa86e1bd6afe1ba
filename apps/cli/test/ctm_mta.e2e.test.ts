// ctm_smail through real mail systems and back with ctm_rmail: Debian's exim4 (its sendmail, its queue, local
// delivery to an mbox), and SMTP to a server from the smtp-server package.
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeWithPeers, peerPath } from './_peers.js';
import { bin } from './_support.js';

const EXIM = peerPath('exim4');
const isRoot = process.getuid?.() === 0;

function tool(name: string, args: string[]) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin(name), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

function delta(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-mta-'));
  for (const d of ['pieces', 'deltas', 'queue']) mkdirSync(join(dir, d));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function rebuild(mbox: string, name: string, data: Buffer) {
  const r = await tool('ctm_rmail', ['-p', join(dir, 'pieces'), '-d', join(dir, 'deltas'), mbox]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(new RegExp(`${name.replaceAll('.', '\\.')} complete\\n$`));
  expect(readFileSync(join(dir, 'deltas', name)).equals(data)).toBe(true);
}

describeWithPeers(['exim4'], 'through exim4', () => {
  /**
   * exim with a configuration of its own (-C) in the temp dir: its own spool, every address delivered to one mbox.
   * Nothing of the machine's mail setup is used or changed. Local deliveries may not run as root, so the mbox
   * lives in a directory owned by nobody.
   */
  function eximSetup() {
    const box = join(dir, 'box');
    mkdirSync(box);
    let identity: string[];
    let delivery: string[];
    if (isRoot) {
      // Local deliveries may not run as root: the mbox lives in a directory owned by nobody.
      const nobody = /^nobody:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'));
      expect(nobody, 'a user "nobody" for local delivery').not.toBeNull();
      chownSync(box, Number(nobody![1]), Number(nobody![2]));
      chmodSync(dir, 0o755); // nobody must reach the box
      identity = ['exim_user = root', 'exim_group = root', 'never_users =', 'trusted_users = root'];
      delivery = [`  user = ${nobody![1]}`, `  group = ${nobody![2]}`];
    } else {
      // Without root, exim runs as us (it drops privilege for -C): everything belongs to this user.
      const me = userInfo();
      const group = new RegExp(`^([^:]+):[^:]*:${me.gid}:`, 'm').exec(
        readFileSync('/etc/group', 'utf8'),
      )?.[1];
      identity = [`exim_user = ${me.username}`, `exim_group = ${group ?? me.gid}`];
      delivery = [];
    }
    const conf = join(dir, 'exim.conf');
    writeFileSync(
      conf,
      [
        'primary_hostname = ctm.test',
        'qualify_domain = ctm.test',
        `spool_directory = ${dir}/spool`,
        `log_file_path = ${dir}/exim-%slog`,
        ...identity,
        'keep_environment =',
        'begin routers',
        'everyone:',
        '  driver = accept',
        '  transport = to_mbox',
        'begin transports',
        'to_mbox:',
        '  driver = appendfile',
        `  file = ${box}/mbox`,
        ...delivery,
        '  mode = 0644',
        'begin retry',
        '* * F,1m,1m',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const sendmail = join(dir, 'sendmail');
    writeFileSync(sendmail, `#!/bin/sh\nexec ${EXIM} -C ${conf} "$@"\n`);
    chmodSync(sendmail, 0o755);
    const runQueue = () => execFileSync(EXIM, ['-C', conf, '-qff'], { stdio: 'ignore' });
    return { sendmail, runQueue, mbox: join(box, 'mbox') };
  }

  async function waitForPieces(mbox: string, count: number) {
    for (let i = 0; i < 100; i++) {
      if (existsSync(mbox) && (readFileSync(mbox, 'latin1').match(/^CTM_MAIL END/gm)?.length ?? 0) >= count)
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    const log = existsSync(join(dir, 'exim-mainlog'))
      ? readFileSync(join(dir, 'exim-mainlog'), 'utf8')
      : '(no log)';
    throw new Error(`the mbox did not get ${count} pieces; exim says:\n${log}`);
  }

  it("sends with ctm_smail through exim's sendmail, delivers with a queue run, rebuilds with ctm_rmail", async () => {
    const { sendmail, runQueue, mbox } = eximSetup();
    const data = delta(150_000, 1);
    writeFileSync(join(dir, 'src-cur.0100.gz'), data);
    const sent = await tool('ctm_smail', [
      '-m',
      '30000',
      '--sendmail',
      sendmail,
      join(dir, 'src-cur.0100.gz'),
      'ctm-list',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toMatch(/src-cur\.0100\.gz 7\/7 sent to ctm-list\n$/);
    expect(existsSync(mbox)).toBe(false); // -odq: only queued so far
    runQueue();
    await waitForPieces(mbox, 7);
    await rebuild(mbox, 'src-cur.0100.gz', data);
  });

  it('queues with ctm_smail -q, sends with ctm_dequeue through exim, rebuilds with ctm_rmail', async () => {
    const { sendmail, runQueue, mbox } = eximSetup();
    const data = delta(50_000, 2);
    writeFileSync(join(dir, 'src-cur.0101.gz'), data);
    const queued = await tool('ctm_smail', [
      '-m',
      '20000',
      '-q',
      join(dir, 'queue'),
      join(dir, 'src-cur.0101.gz'),
      'ctm-list',
    ]);
    expect(queued.code).toBe(0);
    const first = await tool('ctm_dequeue', ['-n', '2', '--sendmail', sendmail, join(dir, 'queue')]);
    expect(first).toMatchObject({
      code: 0,
      stderr: 'ctm_dequeue: src-cur.0101.gz 1/4 sent\nctm_dequeue: src-cur.0101.gz 2/4 sent\n',
    });
    const rest = await tool('ctm_dequeue', ['-n', '10', '--sendmail', sendmail, join(dir, 'queue')]);
    expect(rest.code).toBe(0);
    runQueue();
    await waitForPieces(mbox, 4);
    await rebuild(mbox, 'src-cur.0101.gz', data);
  });

  it('sends signed pieces through exim; ctm_rmail --keyring rebuilds, verifies and applies the genuine delta, and sets the forged signature aside', async () => {
    const { sendmail, runQueue, mbox } = eximSetup();
    const made = async (name: string) =>
      openpgp.generateKey({
        type: 'ecc',
        curve: 'ed25519Legacy',
        userIDs: [{ name, email: `${name.toLowerCase()}@example.org` }],
        format: 'armored',
      });
    const [publisher, forger] = await Promise.all([made('Publisher'), made('Forger')]);
    writeFileSync(join(dir, 'trusted.asc'), publisher.publicKey);
    writeFileSync(join(dir, 'publisher.key'), publisher.privateKey);
    writeFileSync(join(dir, 'forger.key'), forger.privateKey);
    for (const d of ['v0', 'v1', 'v2', 'evil']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'v0', '.ctm_status'), 'src 0\n');
    writeFileSync(join(dir, 'v0', 'README'), 'version 0\n');
    writeFileSync(join(dir, 'v1', 'README'), 'version 1\n');
    writeFileSync(join(dir, 'evil', 'README'), 'version 1\n');
    writeFileSync(join(dir, 'evil', 'backdoor'), 'owned\n');
    execFileSync(process.execPath, [
      bin('ctm'),
      'diff',
      join(dir, 'v0'),
      join(dir, 'v1'),
      'src',
      '1',
      '-o',
      join(dir, 'src.0001.gz'),
    ]);
    writeFileSync(join(dir, 'v1', '.ctm_status'), 'src 1\n');
    execFileSync(process.execPath, [
      bin('ctm'),
      'diff',
      join(dir, 'v1'),
      join(dir, 'evil'),
      'src',
      '2',
      '-o',
      join(dir, 'src.0002.gz'),
    ]);
    cpSync(join(dir, 'v0'), join(dir, 'tree'), { recursive: true });

    const genuine = await tool('ctm_smail', [
      '-m',
      '400',
      '--sign',
      join(dir, 'publisher.key'),
      '--sendmail',
      sendmail,
      join(dir, 'src.0001.gz'),
      'ctm-list',
    ]);
    expect(genuine.code, genuine.stderr).toBe(0);
    expect(genuine.stderr).toMatch(/src\.0001\.gz\.asc (\d)\/\1 sent to ctm-list\n$/);
    const forged = await tool('ctm_smail', [
      '-m',
      '400',
      '--sign',
      join(dir, 'forger.key'),
      '--sendmail',
      sendmail,
      join(dir, 'src.0002.gz'),
      'ctm-list',
    ]);
    expect(forged.code, forged.stderr).toBe(0);
    const pieces = (genuine.stderr + forged.stderr).match(/ sent to /g)!.length;
    runQueue();
    await waitForPieces(mbox, pieces);

    const r = await tool('ctm_rmail', [
      '-p',
      join(dir, 'pieces'),
      '-d',
      join(dir, 'deltas'),
      '-b',
      join(dir, 'tree'),
      '--keyring',
      join(dir, 'trusted.asc'),
      mbox,
    ]);
    expect(r.code).toBe(1); // a forged delta is bad mail
    expect(r.stderr).toMatch(
      /src\.0001\.gz has a good signature by Publisher <publisher@example\.org>[\s\S]*src\.0001\.gz applied\n/,
    );
    expect(r.stderr).toMatch(
      /src\.0002\.gz not applied: src\.0002\.gz\.asc: signed by key [0-9A-F]{16}, which is not in the keyring\n/,
    );
    expect(readFileSync(join(dir, 'tree', 'README'), 'utf8')).toBe('version 1\n');
    expect(readFileSync(join(dir, 'tree', '.ctm_status'), 'utf8')).toBe('src 1\n');
    expect(existsSync(join(dir, 'tree', 'backdoor'))).toBe(false);
    expect(existsSync(join(dir, 'deltas', '.rejected', 'src.0002.gz.asc'))).toBe(true);
    expect(r.stderr).toContain('src.0002.gz waits for a good signature\n');
  });

  it.skipIf(!isRoot)(
    'exim pipes each message to ctm_rmail --keyring: deferred (75) while the keyring is missing, delivered, verified and applied once it is there',
    async () => {
      // Only as root can exim run the pipe as another user (nobody), as an MTA does.
      const nobody = /^nobody:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))!;
      const [uid, gid] = [Number(nobody[1]), Number(nobody[2])];
      chmodSync(dir, 0o755);
      for (const d of ['v0', 'v1']) mkdirSync(join(dir, d));
      writeFileSync(join(dir, 'v0', '.ctm_status'), 'src 0\n');
      writeFileSync(join(dir, 'v0', 'README'), 'version 0\n');
      writeFileSync(join(dir, 'v1', 'README'), 'version 1\n');
      execFileSync(process.execPath, [
        bin('ctm'),
        'diff',
        join(dir, 'v0'),
        join(dir, 'v1'),
        'src',
        '1',
        '-o',
        join(dir, 'src.0001.gz'),
      ]);
      cpSync(join(dir, 'v0'), join(dir, 'tree'), { recursive: true });
      for (const d of ['pieces', 'deltas', 'tree', 'tree/README', 'tree/.ctm_status'])
        chownSync(join(dir, d), uid, gid);
      const key = await openpgp.generateKey({
        type: 'ecc',
        curve: 'ed25519Legacy',
        userIDs: [{ name: 'Publisher', email: 'publisher@example.org' }],
        format: 'armored',
      });
      writeFileSync(join(dir, 'publisher.key'), key.privateKey);
      const keyring = join(dir, 'trusted.asc');
      const conf = join(dir, 'exim-pipe.conf');
      const rmail = [
        bin('ctm_rmail'),
        '-p',
        join(dir, 'pieces'),
        '-d',
        join(dir, 'deltas'),
        '-b',
        join(dir, 'tree'),
      ];
      writeFileSync(
        conf,
        [
          'primary_hostname = ctm.test',
          'qualify_domain = ctm.test',
          `spool_directory = ${dir}/spool`,
          `log_file_path = ${dir}/exim-%slog`,
          'exim_user = root',
          'exim_group = root',
          'never_users =',
          'trusted_users = root',
          'keep_environment =',
          'begin routers',
          'everyone:',
          '  driver = accept',
          '  transport = to_ctm_rmail',
          'begin transports',
          'to_ctm_rmail:',
          '  driver = pipe',
          `  command = ${process.execPath} ${rmail.join(' ')} --keyring ${keyring}`,
          `  user = ${uid}`,
          `  group = ${gid}`,
          '  temp_errors = 75',
          'begin retry',
          '* * F,1m,1m',
          '',
        ].join('\n'),
      );
      const sendmail = join(dir, 'sendmail-pipe');
      writeFileSync(sendmail, `#!/bin/sh\nexec ${EXIM} -C ${conf} "$@"\n`);
      chmodSync(sendmail, 0o755);
      const runQueue = () => execFileSync(EXIM, ['-C', conf, '-qff'], { stdio: 'ignore' });
      const eximLog = () => readFileSync(join(dir, 'exim-mainlog'), 'utf8');

      const sent = await tool('ctm_smail', [
        '-m',
        '400',
        '--sign',
        join(dir, 'publisher.key'),
        '--sendmail',
        sendmail,
        join(dir, 'src.0001.gz'),
        'ctm-list',
      ]);
      expect(sent.code, sent.stderr).toBe(0);
      const messages = sent.stderr.match(/ sent to /g)!.length;
      runQueue();
      expect(
        eximLog().match(/ defer \(0\): Child process of to_ctm_rmail transport returned 75/g),
      ).toHaveLength(messages);
      expect(readFileSync(join(dir, 'tree', 'README'), 'utf8')).toBe('version 0\n');

      writeFileSync(keyring, key.publicKey);
      runQueue();
      expect(eximLog().match(/ Completed$/gm)).toHaveLength(messages);
      expect(readFileSync(join(dir, 'tree', 'README'), 'utf8')).toBe('version 1\n');
      expect(readFileSync(join(dir, 'tree', '.ctm_status'), 'utf8')).toBe('src 1\n');
    },
  );
});

describe('through SMTP', () => {
  async function smtpServer(mbox: string) {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const parts: Buffer[] = [];
        stream.on('data', (d: Buffer) => parts.push(d));
        stream.on('end', () => {
          const text = Buffer.concat(parts)
            .toString('latin1')
            .replace(/^(>*From )/gm, '>$1');
          appendFileSync(
            mbox,
            `From ${session.envelope.mailFrom ? session.envelope.mailFrom.address : 'MAILER-DAEMON'} Sat Nov 21 07:00:00 2026\n${text}\n`,
            'latin1',
          );
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    return {
      url: `smtp://127.0.0.1:${port}`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  it('sends with ctm_smail --smtp and ctm_dequeue --smtp, rebuilds with ctm_rmail', async () => {
    const mbox = join(dir, 'smtp.mbox');
    const server = await smtpServer(mbox);
    try {
      const data = delta(90_000, 3);
      writeFileSync(join(dir, 'src-cur.0200.gz'), data);
      const sent = await tool('ctm_smail', [
        '-m',
        '40000',
        '--smtp',
        server.url,
        join(dir, 'src-cur.0200.gz'),
        'ctm-list@ctm.test',
      ]);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stderr).toMatch(/src-cur\.0200\.gz 4\/4 sent to ctm-list@ctm\.test\n$/);
      await rebuild(mbox, 'src-cur.0200.gz', data);
      const other = delta(3000, 4);
      writeFileSync(join(dir, 'src-cur.0201.gz'), other);
      expect(
        (
          await tool('ctm_smail', [
            '-q',
            join(dir, 'queue'),
            join(dir, 'src-cur.0201.gz'),
            'ctm-list@ctm.test',
          ])
        ).code,
      ).toBe(0);
      const dq = await tool('ctm_dequeue', ['--smtp', server.url, join(dir, 'queue')]);
      expect(dq).toMatchObject({ code: 0, stderr: 'ctm_dequeue: src-cur.0201.gz 1/1 sent\n' });
      await rebuild(mbox, 'src-cur.0201.gz', other);
    } finally {
      await server.close();
    }
  });

  it('reports a refused SMTP delivery and exits 1', async () => {
    writeFileSync(join(dir, 'd.gz'), 'x');
    const r = await tool('ctm_smail', ['--smtp', 'smtp://127.0.0.1:1', join(dir, 'd.gz'), 'l@x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ctm_smail: SMTP failed: .*ECONNREFUSED/);
  });
});
