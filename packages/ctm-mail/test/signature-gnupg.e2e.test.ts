// GnuPG as the peer of signDelta / verifyDelta: signatures made by `gpg --detach-sign` verify with ours, and
// signatures made by ours verify with `gpg --verify`, for an Ed25519 and an RSA key, each in a temporary GNUPGHOME.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeyring, readSigningKey, SignatureError, signDelta, verifyDelta } from '../src/index.js';
import { signDeltaFile, verifyDeltaFile } from '../src/node/index.js';
import { bytes } from './_fixtures.js';

const GPG = '/usr/bin/gpg';
const present = existsSync(GPG);
if (!present && process.env.CI) throw new Error(`${GPG} is missing: CI installs Debian's gnupg (.ci/run)`);
const suite = present ? describe : describe.skip;
if (!present) console.warn(`skipping the GnuPG interop tests: ${GPG} is missing (apt-get install gnupg)`);

let home: string;
const PASSPHRASE = 'ctm test passphrase';

function gpg(args: string[], input?: string | Uint8Array): string {
  return execFileSync(
    GPG,
    ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', PASSPHRASE, ...args],
    {
      env: { ...process.env, GNUPGHOME: home },
      input: input ?? '',
      encoding: 'latin1',
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
}

/** `gpg --verify`: its exit status and what it said (on stderr, and the machine-readable status lines). */
function gpgVerify(signature: string, data: string): { status: number | null; said: string } {
  const r = spawnSync(GPG, ['--batch', '--status-fd', '1', '--verify', signature, data], {
    env: { ...process.env, GNUPGHOME: home },
    encoding: 'utf8',
  });
  return { status: r.status, said: `${r.stdout}${r.stderr}` };
}

const keys = [
  { label: 'Ed25519', algo: 'ed25519', uid: 'CTM Ed <ctm-ed@example.org>' },
  { label: 'RSA', algo: 'rsa2048', uid: 'CTM Rsa <ctm-rsa@example.org>' },
] as const;

beforeAll(() => {
  if (!present) return;
  home = mkdtempSync(join(tmpdir(), 'gnupg-'));
  for (const key of keys) gpg(['--quick-gen-key', key.uid, key.algo, 'sign', 'never']);
}, 120_000);

afterAll(() => {
  if (!present) return;
  // gpg started an agent for this home: stop it, so that no process outlives the tests.
  spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } });
  rmSync(home, { recursive: true, force: true });
});

suite('GnuPG as the peer', () => {
  for (const key of keys) {
    it(`verifies ${key.label} signatures made by gpg --detach-sign, armored and binary, with a gpg --export keyring`, async () => {
      const delta = join(home, `src-cur.0042.${key.algo}.gz`);
      writeFileSync(delta, bytes(200_000, key.label.length));
      gpg(['--yes', '-u', key.uid, '--detach-sign', '--armor', delta]);
      gpg(['--yes', '-u', key.uid, '--detach-sign', '-o', `${delta}.sig`, delta]);
      const armoredRing = await readKeyring(gpg(['--export', '--armor']));
      const binaryRing = await readKeyring(Buffer.from(gpg(['--export']), 'latin1'));
      const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(['--with-colons', '--fingerprint', key.uid]))![1];

      const who = await verifyDeltaFile(delta, armoredRing); // DELTA.asc beside it, the name gpg gave
      expect(who.key).toEqual({ fingerprint, userIds: [key.uid] });
      const binary = await verifyDelta(readFileSync(delta), readFileSync(`${delta}.sig`), binaryRing);
      expect(binary.key.fingerprint).toBe(fingerprint);

      const other = readFileSync(delta);
      other[100]! ^= 0x40;
      const refused = await verifyDelta(other, readFileSync(`${delta}.asc`), armoredRing).catch((e) => e);
      expect(refused).toBeInstanceOf(SignatureError);
      expect(refused.code).toBe('EMISMATCH');
    });

    it(`makes ${key.label} signatures that gpg --verify accepts, with the passphrase-protected key gpg exported`, async () => {
      const delta = join(home, `ours.${key.algo}.gz`);
      writeFileSync(delta, bytes(150_000, 3 + key.label.length));
      const secret = gpg(['--export-secret-keys', '--armor', key.uid]);
      expect(secret).toMatch(/BEGIN PGP PRIVATE KEY BLOCK/);
      await expect(readSigningKey(secret)).rejects.toMatchObject({ code: 'EPASSPHRASE' });
      const signing = await readSigningKey(secret, PASSPHRASE);

      writeFileSync(`${delta}.asc`, await signDeltaFile(delta, signing));
      const good = gpgVerify(`${delta}.asc`, delta);
      expect(good.said).toContain(`GOODSIG`);
      expect(good.said).toContain(key.uid);
      expect(good.status).toBe(0);

      // A signature of bytes: the same as of the file; and gpg refuses it for other bytes.
      writeFileSync(`${delta}.2.asc`, await signDelta(readFileSync(delta), signing));
      expect(gpgVerify(`${delta}.2.asc`, delta).status).toBe(0);
      writeFileSync(`${delta}.other`, bytes(150_000, 99));
      const bad = gpgVerify(`${delta}.asc`, `${delta}.other`);
      expect(bad.status).toBe(1);
      expect(bad.said).toContain('BADSIG');
    });
  }

  it('verifies a signature made by a signing subkey, and signs with it as gpg would', async () => {
    const uid = 'CTM Sub <ctm-sub@example.org>';
    gpg(['--quick-gen-key', uid, 'ed25519', 'cert', 'never']);
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(['--with-colons', '--fingerprint', uid]))![1]!;
    gpg(['--quick-add-key', fingerprint, 'ed25519', 'sign', 'never']);
    const delta = join(home, 'sub.gz');
    writeFileSync(delta, bytes(5000, 5));
    gpg(['--yes', '-u', uid, '--detach-sign', '--armor', delta]);
    const who = await verifyDeltaFile(delta, await readKeyring(gpg(['--export', '--armor', uid])));
    expect(who.key.fingerprint).toBe(fingerprint);
    expect(fingerprint.endsWith(who.keyId)).toBe(false); // the subkey signed, and the primary is named

    const signing = await readSigningKey(gpg(['--export-secret-keys', '--armor', uid]), PASSPHRASE);
    writeFileSync(`${delta}.asc`, await signDeltaFile(delta, signing));
    expect(gpgVerify(`${delta}.asc`, delta).status).toBe(0);
  });
});
