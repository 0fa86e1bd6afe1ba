// ctm: a publisher makes delta 1 with `ctm diff`, signs it and mails it with `ctm_smail --sign` (here into an mbox,
// in small pieces); the mirror rebuilds it from the mailbox with ctm_rmail and applies it with
// `ctm_rmail -b --keyring` (which checks the signature, then runs our ctm). A forged delta is refused.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';

function write(root, files) {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
}

function files(root, rel = '') {
  const out = {};
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, files(root, path));
    else if (path !== '.ctm_status') out[path] = readFileSync(join(root, path), 'utf8');
  }
  return out;
}

export default async function ctm({ dir, tool, log }) {
  const root = join(dir, 'ctm');
  const [old, neu, mirror, pieces, deltas] = ['old', 'new', 'mirror', 'pieces', 'deltas'].map((d) =>
    join(root, d),
  );
  const mbox = join(root, 'mbox');
  const lines = (n, tag = '') =>
    Array.from({ length: n }, (_, i) => `line ${i}${i === 5 ? tag : ''}\n`).join('');
  write(old, {
    '.ctm_status': 'demo 0\n',
    README: 'version 1\n',
    'src/main.c': lines(40),
    'src/old.c': 'bye\n',
  });
  write(neu, { README: 'version 2\n', 'src/main.c': lines(40, ' (edited)'), 'lib/util.c': 'new\n' });
  cpSync(old, mirror, { recursive: true });
  mkdirSync(pieces);
  mkdirSync(deltas);

  // A throwaway signing key for the publisher (a real one comes from `gpg --export-secret-keys`); the mirror
  // trusts its public half. The passphrase is read from a file, never from the command line.
  const key = (name, passphrase) =>
    openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [{ name, email: 'ctm@example.org' }],
      passphrase,
      format: 'armored',
    });
  const publisher = await key('Demo publisher', 'demo passphrase');
  writeFileSync(join(root, 'publisher.key'), publisher.privateKey, { mode: 0o600 });
  writeFileSync(join(root, 'passphrase'), 'demo passphrase\n', { mode: 0o600 });
  writeFileSync(join(root, 'trusted.asc'), publisher.publicKey);
  const sign = ['--sign', join(root, 'publisher.key'), '--passphrase-file', join(root, 'passphrase')];

  const delta = join(root, 'demo.0001.gz');
  await tool('ctm', ['diff', old, neu, 'demo', '1', '-o', delta]);
  await tool('ctm', ['-l', '-q', delta]);
  await tool('ctm_smail', ['-m', '300', ...sign, '--mbox', mbox, delta, 'mirror@example.org']);
  const keyring = ['--keyring', join(root, 'trusted.asc')];
  await tool('ctm_rmail', ['-p', pieces, '-d', deltas, '-b', mirror, ...keyring, '-v', mbox]);

  const got = files(mirror);
  const want = files(neu);
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error('ctm: the mirror does not match NEW');
  if (readFileSync(join(mirror, '.ctm_status'), 'utf8') !== 'demo 1\n')
    throw new Error('ctm: .ctm_status not 1');
  await tool('ctm', ['-b', mirror, delta]); // already applied: skipped, exit 0

  // Anyone can mail a delta: one signed by a key the mirror does not trust is set aside, not applied (exit 1).
  const forger = await key('Someone else');
  writeFileSync(join(root, 'forger.key'), forger.privateKey, { mode: 0o600 });
  write(neu, { '.ctm_status': 'demo 1\n' });
  const evil = join(root, 'evil');
  cpSync(neu, evil, { recursive: true });
  write(evil, { 'src/main.c': 'owned\n' });
  const forged = join(root, 'demo.0002.gz');
  await tool('ctm', ['diff', neu, evil, 'demo', '2', '-o', forged]);
  await tool('ctm_smail', [
    '--sign',
    join(root, 'forger.key'),
    '--mbox',
    join(root, 'forged'),
    forged,
    'mirror',
  ]);
  await tool('ctm_rmail', ['-p', pieces, '-d', deltas, '-b', mirror, ...keyring, join(root, 'forged')], {
    expectStatus: 1,
  });
  if (readFileSync(join(mirror, '.ctm_status'), 'utf8') !== 'demo 1\n')
    throw new Error('ctm: a forged delta was applied');
  log(
    'ctm: delta made by `ctm diff`, signed and mailed by ctm_smail, verified, rebuilt and applied by `ctm_rmail -b --keyring`: mirror = NEW; a forged delta was refused',
  );
}
