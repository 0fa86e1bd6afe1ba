// Signed deltas, command by command: ctm_smail --sign sends a detached signature as the companion delta NAME.asc;
// ctm_rmail -b --keyring applies only a delta with a good signature by a trusted key, waits for one not yet
// come, and sets a forged one aside; ctm --keyring checks DELTA.asc by hand. Real processes, files and keys.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCtmOptions } from '../src/commands/ctm/options.js';
import { tool } from './_support.js';

const PASSPHRASE = 'ctm test passphrase';
let trusted: { secret: string; public: string; fingerprint: string };
let stranger: { secret: string; public: string; fingerprint: string };

async function makeKey(name: string, passphrase?: string) {
  const made = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name, email: `${name.toLowerCase()}@example.org` }],
    ...(passphrase ? { passphrase } : {}),
    format: 'armored',
  });
  const key = await openpgp.readKey({ armoredKey: made.publicKey });
  return { secret: made.privateKey, public: made.publicKey, fingerprint: key.getFingerprint().toUpperCase() };
}

let dir: string;
/** dir/NAME */
const at = (...names: string[]) => join(dir, ...names);
/** What every test starts from, made once: the trees v0 → v1 → v2, deltas 1 and 2 by `ctm diff`, the keys. */
let fixture: string;

beforeAll(async () => {
  [trusted, stranger] = await Promise.all([makeKey('Publisher', PASSPHRASE), makeKey('Stranger')]);
  dir = fixture = mkdtempSync(join(tmpdir(), 'ctm-signed-fixture-'));
  for (const d of ['v0', 'v1', 'v2', 'pieces', 'deltas', 'queue', 'forge']) mkdirSync(at(d));
  writeFileSync(at('v0', '.ctm_status'), 'src 0\n');
  writeFileSync(at('v0', 'README'), 'version 0\n');
  writeFileSync(at('v1', 'README'), 'version 1\n');
  writeFileSync(at('v2', 'README'), 'version 2\n');
  cpSync(at('v0'), at('tree'), { recursive: true });
  writeFileSync(at('trusted.asc'), trusted.public);
  writeFileSync(at('publisher.key'), trusted.secret);
  writeFileSync(at('stranger.key'), stranger.secret);
  writeFileSync(at('passphrase'), `${PASSPHRASE}\n`);
  expect((await tool('ctm', ['diff', at('v0'), at('v1'), 'src', '1', '-o', at('src.0001.gz')])).code).toBe(0);
  writeFileSync(at('v1', '.ctm_status'), 'src 1\n');
  expect((await tool('ctm', ['diff', at('v1'), at('v2'), 'src', '2', '-o', at('src.0002.gz')])).code).toBe(0);
});
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctm-signed-'));
  cpSync(fixture, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** ctm_smail into an mbox; the key's passphrase from the passphrase file when signing. */
async function send(delta: string, mbox: string, key?: string) {
  const sign = key ? ['--sign', key, '--passphrase-file', at('passphrase')] : [];
  const r = await tool('ctm_smail', ['-m', '400', ...sign, '--mbox', mbox, delta, 'mirror']);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** ctm_rmail -p -d -b --keyring on one mailbox. */
const receive = (mbox: string, extra: string[] = []) =>
  tool('ctm_rmail', [
    '-p',
    at('pieces'),
    '-d',
    at('deltas'),
    '-b',
    at('tree'),
    '--keyring',
    at('trusted.asc'),
    ...extra,
    mbox,
  ]);

const treeAt = () => readFileSync(at('tree', '.ctm_status'), 'utf8');
const readme = () => readFileSync(at('tree', 'README'), 'utf8');

/** A file `forge/NAME` mailed as it is (no --sign): a forger's companion "signature". */
async function sendAs(name: string, content: string | Uint8Array, mbox: string) {
  writeFileSync(at('forge', name), content);
  await send(at('forge', name), mbox);
}

/** A detached signature by `key` of `bytes`, made with OpenPGP.js directly. */
async function signatureOf(bytes: Uint8Array, secret: string, passphrase?: string) {
  let key = await openpgp.readPrivateKey({ armoredKey: secret });
  if (passphrase) key = await openpgp.decryptKey({ privateKey: key, passphrase });
  return openpgp.sign({
    message: await openpgp.createMessage({ binary: bytes }),
    signingKeys: key,
    detached: true,
  });
}

describe('ctm_smail --sign', () => {
  it('sends the delta, then its detached signature as the companion delta NAME.asc, split like any other', async () => {
    const r = await send(at('src.0001.gz'), at('mbox'), at('publisher.key'));
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('ctm_smail: src.0001.gz 1/1 sent to mirror');
    expect(lines.slice(1).every((l) => /^ctm_smail: src\.0001\.gz\.asc \d\/\d sent to mirror$/.test(l))).toBe(
      true,
    );
    const mbox = readFileSync(at('mbox'), 'latin1');
    expect(mbox).toMatch(/^Subject: ctm-mail src\.0001\.gz\.asc 1\/\d$/m);
    expect(mbox).toMatch(/^CTM_MAIL BEGIN src\.0001\.gz\.asc 1 \d$/m);
    // Rebuilt without a keyring, the companion is an armored signature of the delta's bytes, by the publisher.
    const rebuilt = await tool('ctm_rmail', ['-p', at('pieces'), '-d', at('deltas'), at('mbox')]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const asc = readFileSync(at('deltas', 'src.0001.gz.asc'), 'utf8');
    expect(asc).toMatch(/^-----BEGIN PGP SIGNATURE-----/);
    const verified = await openpgp.verify({
      message: await openpgp.createMessage({ binary: readFileSync(at('deltas', 'src.0001.gz')) }),
      signature: await openpgp.readSignature({ armoredSignature: asc }),
      verificationKeys: await openpgp.readKey({ armoredKey: trusted.public }),
    });
    expect(await verified.signatures[0]!.verified).toBe(true);
  });

  it('takes the passphrase from $CTM_SIGN_PASSPHRASE, and without any says how to give it; nothing is sent', async () => {
    const withEnv = await tool(
      'ctm_smail',
      ['--sign', at('publisher.key'), '--mbox', at('mbox'), at('src.0001.gz'), 'mirror'],
      { env: { CTM_SIGN_PASSPHRASE: PASSPHRASE } },
    );
    expect(withEnv.code, withEnv.stderr).toBe(0);
    expect(withEnv.stderr).toContain('src.0001.gz.asc 1/1 sent to mirror');

    const none = await tool(
      'ctm_smail',
      ['--sign', at('publisher.key'), '--mbox', at('none'), at('src.0001.gz'), 'm'],
      {
        env: { CTM_SIGN_PASSPHRASE: '' },
      },
    );
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^ctm_smail: signing key '.*publisher\.key': cannot unlock the secret key/);
    const env = { ...process.env };
    delete env.CTM_SIGN_PASSPHRASE;
    const missing = await tool('ctm_smail', [
      '--sign',
      at('publisher.key'),
      '--mbox',
      at('none'),
      at('src.0001.gz'),
      'm',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `ctm_smail: signing key '${at('publisher.key')}': the secret key is protected by a passphrase, and none was given (give it with --passphrase-file FILE or $CTM_SIGN_PASSPHRASE)\n`,
    );
    writeFileSync(at('wrong'), 'not it\n');
    const wrong = await tool('ctm_smail', [
      '--sign',
      at('publisher.key'),
      '--passphrase-file',
      at('wrong'),
      '--mbox',
      at('none'),
      at('src.0001.gz'),
      'm',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Incorrect key passphrase/);
    expect(existsSync(at('none'))).toBe(false);
  });

  it('refuses, before sending anything: a key file that is no key, a name too long for NAME.asc, a lone --passphrase-file', async () => {
    const noKey = await tool('ctm_smail', [
      '--sign',
      at('trusted.asc'),
      '--mbox',
      at('none'),
      at('src.0001.gz'),
      'm',
    ]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^ctm_smail: signing key '.*trusted\.asc': not an OpenPGP secret key/);
    const long = at('forge', `${'x'.repeat(18)}.0001.gz`); // 26 characters: 30 with .asc
    cpSync(at('src.0001.gz'), long);
    const tooLong = await tool('ctm_smail', ['--sign', at('stranger.key'), '--mbox', at('none'), long, 'm']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(
      /cannot sign: its signature's name '.*\.asc' would be longer than 29 characters/,
    );
    const lone = await tool('ctm_smail', ['--passphrase-file', at('passphrase'), at('src.0001.gz'), 'm']);
    expect(lone.code).toBe(1);
    expect(lone.stderr).toMatch(/^ctm_smail: --passphrase-file goes with --sign KEYFILE\nusage: /);
    expect(existsSync(at('none'))).toBe(false);
  });

  it('-q queues the signature with the delta; ctm_dequeue sends the delta first; the receiver verifies and applies', async () => {
    const q = await tool('ctm_smail', [
      '-m',
      '400',
      '-q',
      at('queue'),
      '--sign',
      at('publisher.key'),
      '--passphrase-file',
      at('passphrase'),
      at('src.0001.gz'),
      'mirror',
    ]);
    expect(q.code, q.stderr).toBe(0);
    const queued = readdirSync(at('queue')).sort();
    expect(queued[0]).toBe('src.0001.gz+001-001');
    expect(queued.slice(1).every((f) => /^src\.0001\.gz\.asc\+\d{3}-\d{3}$/.test(f))).toBe(true);
    const first = await tool('ctm_dequeue', ['--mbox', at('mbox1'), at('queue')]);
    expect(first.stderr).toBe('ctm_dequeue: src.0001.gz 1/1 sent\n');
    expect((await tool('ctm_dequeue', ['-n', '10', '--mbox', at('mbox2'), at('queue')])).code).toBe(0);

    const r1 = await receive(at('mbox1'));
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stderr).toContain(
      'ctm_rmail: src.0001.gz not applied yet: waiting for its signature src.0001.gz.asc\n',
    );
    expect(treeAt()).toBe('src 0\n');
    const r2 = await receive(at('mbox2'));
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toContain(
      `ctm_rmail: src.0001.gz has a good signature by Publisher <publisher@example.org> (key ${trusted.fingerprint})\n`,
    );
    expect(r2.stderr).toContain('ctm_rmail: src.0001.gz applied\n');
    expect(readme()).toBe('version 1\n');
  });
});

describe('ctm_smail --sign -c (a delta too big to mail)', () => {
  it('sends the notice instead of the delta, and the signature by mail, to check the delta fetched by other means', async () => {
    const r = await tool('ctm_smail', [
      '-c',
      '10',
      '--sign',
      at('publisher.key'),
      '--passphrase-file',
      at('passphrase'),
      '--mbox',
      at('mbox'),
      at('src.0001.gz'),
      'mirror',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^ctm_smail: src\.0001\.gz\.asc 1\/1 sent to mirror\n$/);
    const mbox = readFileSync(at('mbox'), 'latin1');
    expect(mbox).toMatch(
      /^Subject: ctm-notice src\.0001\.gz\n\nsrc\.0001\.gz is \d+ bytes\. {2}The limit is 10 bytes\./m,
    );
    expect(mbox).not.toMatch(/^CTM_MAIL BEGIN src\.0001\.gz /m);

    const waiting = await receive(at('mbox'));
    expect(waiting.code, waiting.stderr).toBe(0);
    expect(waiting.stderr).toContain('ctm_rmail: src.0001.gz.asc complete\n');
    cpSync(at('src.0001.gz'), at('deltas', 'src.0001.gz')); // fetched by ftp
    const applied = await tool('ctm_rmail', [
      '-d',
      at('deltas'),
      '-b',
      at('tree'),
      '--keyring',
      at('trusted.asc'),
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(
      /src\.0001\.gz has a good signature by Publisher[\s\S]*src\.0001\.gz applied\n$/,
    );
    expect(readme()).toBe('version 1\n');
  });
});

describe('ctm_rmail -b --keyring', () => {
  it('applies signed deltas in order, each with a log line naming the signer; -D removes each delta and its signature', async () => {
    await send(at('src.0002.gz'), at('mbox'), at('publisher.key'));
    await send(at('src.0001.gz'), at('mbox'), at('publisher.key'));
    const r = await receive(at('mbox'), ['-D']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /src\.0001\.gz has a good signature by Publisher[^\n]*\n[\s\S]*src\.0001\.gz applied and deleted\n[\s\S]*src\.0002\.gz has a good signature[\s\S]*src\.0002\.gz applied and deleted\n$/,
    );
    expect(treeAt()).toBe('src 2\n');
    expect(readme()).toBe('version 2\n');
    expect(readdirSync(at('deltas')).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('applies the genuine pair in either order: the signature before the delta, or after it', async () => {
    await send(at('src.0001.gz'), at('signed'), at('publisher.key'));
    const mail = readFileSync(at('signed'), 'latin1').split(/^(?=From )/m);
    const deltaMail = mail.filter((m) => /^Subject: ctm-mail src\.0001\.gz \d/m.test(m)).join('');
    const ascMail = mail.filter((m) => /^Subject: ctm-mail src\.0001\.gz\.asc /m.test(m)).join('');
    writeFileSync(at('delta-only'), deltaMail);
    writeFileSync(at('asc-only'), ascMail);

    const sigFirst = await receive(at('asc-only'));
    expect(sigFirst.code, sigFirst.stderr).toBe(0);
    expect(sigFirst.stderr).not.toMatch(/applied|not applied/); // nothing to apply: delta 1 is not there
    expect(treeAt()).toBe('src 0\n');
    const then = await receive(at('delta-only'));
    expect(then.code, then.stderr).toBe(0);
    expect(then.stderr).toContain('src.0001.gz applied');
    expect(readme()).toBe('version 1\n');

    // The other order, on a fresh receiver.
    for (const d of ['pieces', 'deltas']) {
      rmSync(at(d), { recursive: true });
      mkdirSync(at(d));
    }
    rmSync(at('tree'), { recursive: true });
    cpSync(at('v0'), at('tree'), { recursive: true });
    const deltaFirst = await receive(at('delta-only'));
    expect(deltaFirst.code, deltaFirst.stderr).toBe(0);
    expect(deltaFirst.stderr).toContain(
      'src.0001.gz not applied yet: waiting for its signature src.0001.gz.asc',
    );
    expect(treeAt()).toBe('src 0\n');
    const sigAfter = await receive(at('asc-only'));
    expect(sigAfter.code, sigAfter.stderr).toBe(0);
    expect(sigAfter.stderr).toContain('src.0001.gz applied');
    expect(readme()).toBe('version 1\n');
  });

  it('an unsigned delta waits (exit 0), and is never applied while no signature comes, run after run', async () => {
    await send(at('src.0001.gz'), at('mbox'));
    const r = await receive(at('mbox'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /src\.0001\.gz complete\nctm_rmail: src\.0001\.gz not applied yet: waiting for its signature src\.0001\.gz\.asc\n$/,
    );
    const cron = await tool('ctm_rmail', [
      '-d',
      at('deltas'),
      '-b',
      at('tree'),
      '--keyring',
      at('trusted.asc'),
    ]);
    expect(cron).toMatchObject({
      code: 0,
      stderr: 'ctm_rmail: src.0001.gz not applied yet: waiting for its signature src.0001.gz.asc\n',
    });
    expect(treeAt()).toBe('src 0\n');
    expect(readme()).toBe('version 0\n');
    expect(existsSync(at('deltas', 'src.0001.gz'))).toBe(true);
  });

  it('sets aside a signature by a key not in the keyring, says why, exits 1; the delta waits, and the genuine signature applies it', async () => {
    await send(at('src.0001.gz'), at('forged'), at('stranger.key'));
    const r = await receive(at('forged'));
    expect(r.code).toBe(1);
    const id = stranger.fingerprint.slice(-16);
    expect(r.stderr).toContain(
      `ctm_rmail: src.0001.gz not applied: src.0001.gz.asc: signed by key ${id}, which is not in the keyring\n`,
    );
    expect(r.stderr).toContain(
      `ctm_rmail: src.0001.gz.asc set aside in ${at('deltas', '.rejected')}; src.0001.gz waits for a good signature\n`,
    );
    expect(treeAt()).toBe('src 0\n');
    expect(readdirSync(at('deltas', '.rejected'))).toEqual(['src.0001.gz.asc']);
    expect(existsSync(at('deltas', 'src.0001.gz'))).toBe(true);
    const cron = await tool('ctm_rmail', [
      '-d',
      at('deltas'),
      '-b',
      at('tree'),
      '--keyring',
      at('trusted.asc'),
    ]);
    expect(cron).toMatchObject({
      code: 0,
      stderr: 'ctm_rmail: src.0001.gz not applied yet: waiting for its signature src.0001.gz.asc\n',
    });

    // The delta, genuinely signed, delivered afterwards: its signature is not taken for a duplicate of the forgery.
    await send(at('src.0001.gz'), at('genuine'), at('publisher.key'));
    const g = await receive(at('genuine'));
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toContain('src.0001.gz applied');
    expect(readme()).toBe('version 1\n');
  });

  it('sets aside a forged delta that carries a valid signature of another delta (made over other bytes)', async () => {
    // The forger replays the publisher's genuine signature of delta 2 as the signature of a delta 1 of its own.
    const genuine2 = await signatureOf(readFileSync(at('src.0002.gz')), trusted.secret, PASSPHRASE);
    mkdirSync(at('evil'));
    writeFileSync(at('evil', 'README'), 'owned\n');
    await tool('ctm', ['diff', at('v0'), at('evil'), 'src', '1', '-o', at('forge', 'src.0001.gz')]);
    await send(at('forge', 'src.0001.gz'), at('forged'));
    await sendAs('src.0001.gz.asc', genuine2, at('other'));
    const first = await receive(at('forged'));
    expect(first.code).toBe(0); // waiting for its signature
    const r = await receive(at('other'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /src\.0001\.gz not applied: src\.0001\.gz\.asc: the signature by key [0-9A-F]{16} \(Publisher <publisher@example\.org>\) does not match the delta: it was made over other bytes\n/,
    );
    expect(r.stderr).toContain(
      `ctm_rmail: src.0001.gz and its signature set aside in ${at('deltas', '.rejected')}\n`,
    );
    expect(readdirSync(at('deltas', '.rejected')).sort()).toEqual(['src.0001.gz', 'src.0001.gz.asc']);
    expect(treeAt()).toBe('src 0\n');
    expect(readme()).toBe('version 0\n');
  });

  it("applies nothing when a malformed or a stranger's signature comes before the delta or after it", async () => {
    await sendAs(
      'src.0001.gz.asc',
      '-----BEGIN PGP SIGNATURE-----\n\nnot base64 at all!\n-----END PGP SIGNATURE-----\n',
      at('bad-asc'),
    );
    await send(at('src.0001.gz'), at('delta'));
    const before = await receive(at('bad-asc'));
    expect(before.code).toBe(0); // only a "signature", no delta yet: nothing to check
    const after = await receive(at('delta'));
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(
      /src\.0001\.gz not applied: src\.0001\.gz\.asc: not an OpenPGP signature \(/,
    );
    expect(treeAt()).toBe('src 0\n');

    // After the delta: the forged signature of a stranger completes a waiting delta; still nothing applied.
    await send(at('src.0002.gz'), at('delta2'));
    await sendAs(
      'src.0002.gz.asc',
      await signatureOf(readFileSync(at('src.0002.gz')), stranger.secret),
      at('asc2'),
    );
    writeFileSync(at('tree', '.ctm_status'), 'src 1\n'); // as if delta 1 had been applied
    expect((await receive(at('delta2'))).code).toBe(0);
    const late = await receive(at('asc2'));
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('src.0002.gz not applied: src.0002.gz.asc: signed by key');
    expect(readme()).toBe('version 0\n');
  });

  it('with -f checks signatures in the background too: a forged delta is set aside there, not applied', async () => {
    await send(at('src.0001.gz'), at('forged'), at('stranger.key'));
    const r = await receive(at('forged'), ['-f', '-l', at('log')]);
    expect(r.code, r.stderr).toBe(0); // the answer to the MTA comes before the applying
    for (
      let i = 0;
      i < 200 && !/set aside/.test(existsSync(at('log')) ? readFileSync(at('log'), 'utf8') : '');
      i++
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readFileSync(at('log'), 'utf8')).toMatch(
      /src\.0001\.gz not applied: .*not in the keyring\n.*set aside/,
    );
    expect(treeAt()).toBe('src 0\n');
  });

  it('exits 75 without reading any mail when the keyring cannot be read (the MTA keeps the mail)', async () => {
    await send(at('src.0001.gz'), at('mbox'), at('publisher.key'));
    const missing = await tool('ctm_rmail', [
      '-p',
      at('pieces'),
      '-d',
      at('deltas'),
      '-b',
      at('tree'),
      '--keyring',
      at('nope'),
      at('mbox'),
    ]);
    expect(missing).toMatchObject({
      code: 75,
      stderr: `ctm_rmail: keyring '${at('nope')}': No such file or directory\n`,
    });
    writeFileSync(at('garbage'), 'hello\n');
    const garbage = await tool('ctm_rmail', [
      '-p',
      at('pieces'),
      '-d',
      at('deltas'),
      '-b',
      at('tree'),
      '--keyring',
      at('garbage'),
      at('mbox'),
    ]);
    expect(garbage.code).toBe(75);
    expect(garbage.stderr).toMatch(
      /^ctm_rmail: keyring '.*garbage': not a file of OpenPGP public keys .*gpg --export/,
    );
    expect(readdirSync(at('pieces'))).toEqual([]);
    expect(readdirSync(at('deltas'))).toEqual([]);
  });

  it('exits 75 and applies nothing when a signature cannot be read (a local failure); the delta stays to be checked again', async () => {
    await send(at('src.0001.gz'), at('mbox'));
    mkdirSync(at('deltas', 'src.0001.gz.asc')); // reading it fails with EISDIR
    const r = await receive(at('mbox'));
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('ctm_rmail: cannot check the signature of src.0001.gz: Is a directory\n');
    expect(treeAt()).toBe('src 0\n');
    expect(existsSync(at('deltas', 'src.0001.gz'))).toBe(true);
  });

  it('refuses --keyring without -b (signatures are checked when deltas are applied)', async () => {
    const r = await tool('ctm_rmail', [
      '-p',
      at('pieces'),
      '-d',
      at('deltas'),
      '--keyring',
      at('trusted.asc'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ctm_rmail: --keyring needs -b: signatures are checked when deltas are applied\nusage: /,
    );
  });
});

describe('old receivers: the signed stream without --keyring', () => {
  it('is received exactly as the unsigned one, with NAME.asc only stored beside the delta', async () => {
    await send(at('src.0001.gz'), at('unsigned'));
    await send(at('src.0001.gz'), at('signed'), at('publisher.key'));
    const plain = await tool('ctm_rmail', [
      '-p',
      at('pieces'),
      '-d',
      at('deltas'),
      '-b',
      at('tree'),
      at('unsigned'),
    ]);
    const plainTree = readFileSync(at('tree', 'README'), 'utf8');
    for (const d of ['pieces', 'deltas', 'tree']) rmSync(at(d), { recursive: true });
    mkdirSync(at('pieces'));
    mkdirSync(at('deltas'));
    cpSync(at('v0'), at('tree'), { recursive: true });
    const signed = await tool('ctm_rmail', [
      '-p',
      at('pieces'),
      '-d',
      at('deltas'),
      '-b',
      at('tree'),
      at('signed'),
    ]);
    expect(signed.code).toBe(plain.code);
    expect(signed.code).toBe(0);
    const withoutAsc = signed.stderr
      .split('\n')
      .filter((l) => !l.includes('src.0001.gz.asc'))
      .join('\n');
    expect(withoutAsc).toBe(plain.stderr);
    expect(signed.stderr).toContain('ctm_rmail: src.0001.gz.asc complete\n');
    expect(readFileSync(at('tree', 'README'), 'utf8')).toBe(plainTree);
    expect(
      readdirSync(at('deltas'))
        .filter((f) => !f.startsWith('.'))
        .sort(),
    ).toEqual(['src.0001.gz', 'src.0001.gz.asc']);
  });
});

describe('ctm --keyring', () => {
  beforeEach(async () => {
    writeFileSync(
      at('src.0001.gz.asc'),
      await signatureOf(readFileSync(at('src.0001.gz')), trusted.secret, PASSPHRASE),
    );
  });

  it('applies a delta whose DELTA.asc is a good signature by a key of the keyring, and says who signed it', async () => {
    const r = await tool('ctm', ['--keyring', at('trusted.asc'), '-b', at('tree'), at('src.0001.gz')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `ctm: ${at('src.0001.gz')}: good signature by Publisher <publisher@example.org> (key ${trusted.fingerprint})\n`,
    );
    expect(readme()).toBe('version 1\n');
  });

  it('applies nothing and exits 1 when DELTA.asc is missing, by another key, or over other bytes', async () => {
    const cases: [string, () => void, RegExp][] = [
      [
        'other bytes',
        () => cpSync(at('src.0001.gz.asc'), at('src.0002.gz.asc')),
        /not applied: the signature by key .* does not match the delta/,
      ],
      [
        'missing',
        () => rmSync(at('src.0001.gz.asc')),
        /not applied: no signature: .*src\.0001\.gz\.asc is not there/,
      ],
    ];
    for (const [label, arrange, message] of cases) {
      arrange();
      const delta = label === 'other bytes' ? at('src.0002.gz') : at('src.0001.gz');
      const r = await tool('ctm', ['--keyring', at('trusted.asc'), '-b', at('tree'), delta]);
      expect(r.code, label).toBe(1);
      expect(r.stderr, label).toMatch(message);
    }
    writeFileSync(at('src.0001.gz.asc'), await signatureOf(readFileSync(at('src.0001.gz')), stranger.secret));
    const unknown = await tool('ctm', ['--keyring', at('trusted.asc'), '-b', at('tree'), at('src.0001.gz')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not applied: signed by key [0-9A-F]{16}, which is not in the keyring/);
    expect(treeAt()).toBe('src 0\n');
  });

  it('exits 2 for a keyring it cannot read, for a delta on stdin, and for --keyring without a file', async () => {
    const bad = await tool('ctm', ['--keyring', at('nope'), at('src.0001.gz')]);
    expect(bad).toMatchObject({
      code: 2,
      stderr: `ctm: keyring '${at('nope')}': No such file or directory\n`,
    });
    const stdin = await tool('ctm', ['--keyring', at('trusted.asc'), '-'], {
      input: readFileSync(at('src.0001.gz')),
    });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toMatch(/--keyring needs delta files/);
    const other = await tool('ctm', ['--keyring'], { input: '' });
    expect(other).toMatchObject({
      code: 2,
      stderr: "ctm: option '--keyring' requires an argument\nctm: 1 errors during option processing\n",
    });
    expect(treeAt()).toBe('src 0\n');
  });
});

describe("ctm's --keyring among getopt's options", () => {
  it('is taken wherever it stands among the options, and nowhere else; getopt reads all the rest as before', () => {
    expect(parseCtmOptions(['-b', 'tree', '--keyring', 'k.asc', '-v', 'd.gz'])).toMatchObject({
      basedir: 'tree',
      keyring: 'k.asc',
      verbose: 2,
      files: ['d.gz'],
      errors: 0,
    });
    expect(parseCtmOptions(['--keyring=k.asc', '-qb', 'tree', 'd.gz'])).toMatchObject({
      keyring: 'k.asc',
      files: ['d.gz'],
    });
    // The value of a letter, and anything after the first operand or `--`, is left alone.
    const asValue = parseCtmOptions(['-b', '--keyring', 'd.gz']);
    expect(asValue).toMatchObject({ basedir: '--keyring', files: ['d.gz'] });
    expect(asValue.keyring).toBeUndefined();
    expect(parseCtmOptions(['d.gz', '--keyring', 'k']).files).toEqual(['d.gz', '--keyring', 'k']);
    expect(parseCtmOptions(['--', '--keyring', 'k']).files).toEqual(['--keyring', 'k']);
  });
});
