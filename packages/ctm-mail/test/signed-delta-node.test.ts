// The ./node side of signed deltas on real files: signDeltaFile / verifyDeltaFile, and signatureGate's verdicts
// and set-aside directory.
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Keyring, readKeyring, readSigningKey, type SigningKey } from '../src/index.js';
import { signatureGate, signDeltaFile, verifyDeltaFile } from '../src/node/index.js';
import { bytes } from './_fixtures.js';

let key: SigningKey;
let other: SigningKey;
let keyring: Keyring;
beforeAll(async () => {
  const make = (name: string) =>
    openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name }], format: 'armored' });
  const [a, b] = await Promise.all([make('Publisher'), make('Other')]);
  key = await readSigningKey(a.privateKey);
  other = await readSigningKey(b.privateKey);
  keyring = await readKeyring(a.publicKey);
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'signed-delta-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('signDeltaFile and verifyDeltaFile', () => {
  it('signs from an open descriptor without moving its position, so the same descriptor can then be split', async () => {
    const path = join(dir, 'src.0001.gz');
    writeFileSync(path, bytes(3_000_000, 1));
    const fd = openSync(path, 'r');
    try {
      writeFileSync(`${path}.asc`, await signDeltaFile(fd, key));
      const head = Buffer.alloc(4);
      expect(readSync(fd, head, 0, 4, null)).toBe(4); // read from the current position: still the start
      expect(head.equals(Buffer.from(bytes(3_000_000, 1).subarray(0, 4)))).toBe(true);
    } finally {
      closeSync(fd);
    }
    expect((await verifyDeltaFile(path, keyring)).key.userIds).toEqual(['Publisher']);
  });

  it('says ENOSIG when DELTA.asc is not there, and refuses a "signature" too big to be one without reading it', async () => {
    const path = join(dir, 'src.0001.gz');
    writeFileSync(path, bytes(1000, 2));
    await expect(verifyDeltaFile(path, keyring)).rejects.toMatchObject({
      code: 'ENOSIG',
      message: `no signature: ${path}.asc is not there`,
    });
    writeFileSync(`${path}.asc`, Buffer.alloc(1 << 20, 0x41));
    await expect(verifyDeltaFile(path, keyring)).rejects.toMatchObject({ code: 'EBADSIG' });
  });

  it('passes a delta that cannot be read on as the system error (a local failure), not as a bad signature', async () => {
    const path = join(dir, 'src.0001.gz');
    mkdirSync(path); // reading a directory fails with EISDIR
    writeFileSync(`${path}.asc`, await signDeltaFile(writeDelta('x.gz', 10), key));
    await expect(verifyDeltaFile(path, keyring)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

function writeDelta(name: string, seed: number): string {
  const path = join(dir, name);
  writeFileSync(path, bytes(5000, seed));
  return path;
}

describe('signatureGate', () => {
  it('applies a well-signed delta, waits for a missing signature, rejects a bad one with the reason', async () => {
    const gate = signatureGate(dir, keyring);
    writeFileSync(`${writeDelta('src.0001.gz', 1)}.asc`, await signDeltaFile(join(dir, 'src.0001.gz'), key));
    expect(await gate.checkDelta('src.0001.gz')).toEqual({
      verdict: 'apply',
      note: expect.stringMatching(/^has a good signature by Publisher \(key [0-9A-F]{40}\)$/),
    });
    writeDelta('src.0002.gz', 2);
    expect(await gate.checkDelta('src.0002.gz')).toEqual({
      verdict: 'wait',
      reason: 'waiting for its signature src.0002.gz.asc',
    });
    writeFileSync(join(dir, 'src.0002.gz.asc'), await signDeltaFile(join(dir, 'src.0002.gz'), other));
    expect(await gate.checkDelta('src.0002.gz')).toEqual({
      verdict: 'reject',
      reason: expect.stringMatching(
        /^src\.0002\.gz\.asc: signed by key [0-9A-F]{16}, which is not in the keyring$/,
      ),
      aside: 'signature',
    });
    writeFileSync(join(dir, 'src.0002.gz.asc'), await signDeltaFile(join(dir, 'src.0001.gz'), key));
    expect(await gate.checkDelta('src.0002.gz')).toEqual({
      verdict: 'reject',
      reason: expect.stringMatching(/^src\.0002\.gz\.asc: the signature by key .* does not match the delta/),
      aside: 'both',
    });
    writeDelta('a-name-of-twenty-six-chars', 3);
    expect(await gate.checkDelta('a-name-of-twenty-six-chars')).toMatchObject({
      verdict: 'reject',
      aside: 'both',
      reason: expect.stringMatching(/^it cannot be signed: .* longer than 29 characters/),
    });
  });

  it('sets aside the delta with its signature, numbered when taken, and forgets both as rebuilt', async () => {
    const gate = signatureGate(dir, keyring);
    mkdirSync(join(dir, '.rebuilt'));
    for (let round = 0; round < 3; round++) {
      writeDelta('src.0001.gz', round);
      writeFileSync(join(dir, 'src.0001.gz.asc'), 'forged');
      writeFileSync(join(dir, '.rebuilt', 'src.0001.gz'), '');
      writeFileSync(join(dir, '.rebuilt', 'src.0001.gz.asc'), '');
      expect(await gate.setAside('src.0001.gz', 'both')).toBe(join(dir, '.rejected'));
    }
    expect(readdirSync(join(dir, '.rejected')).sort()).toEqual([
      'src.0001.gz',
      'src.0001.gz-2',
      'src.0001.gz-3',
      'src.0001.gz.asc',
      'src.0001.gz.asc-2',
      'src.0001.gz.asc-3',
    ]);
    expect(readdirSync(dir).sort()).toEqual(['.rebuilt', '.rejected']);
    expect(readdirSync(join(dir, '.rebuilt'))).toEqual([]);
  });

  it('sets aside only the signature when the signature is what is wrong: the delta stays, still marked rebuilt', async () => {
    const gate = signatureGate(dir, keyring);
    mkdirSync(join(dir, '.rebuilt'));
    writeDelta('src.0001.gz', 1);
    writeFileSync(join(dir, 'src.0001.gz.asc'), 'forged');
    for (const f of ['src.0001.gz', 'src.0001.gz.asc']) writeFileSync(join(dir, '.rebuilt', f), '');
    await gate.setAside('src.0001.gz', 'signature');
    expect(readdirSync(join(dir, '.rejected'))).toEqual(['src.0001.gz.asc']);
    expect(readdirSync(dir).sort()).toEqual(['.rebuilt', '.rejected', 'src.0001.gz']);
    expect(readdirSync(join(dir, '.rebuilt'))).toEqual(['src.0001.gz']);
  });
});
