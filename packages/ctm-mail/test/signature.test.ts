// signDelta / verifyDelta and the signature gate of applyCompleted, with keys made by OpenPGP.js (the GnuPG
// interop is in signature-gnupg.e2e.test.ts).
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ApplyCompletedPorts,
  applyCompleted,
  CtmMailError,
  type DeltaVerdict,
  type Keyring,
  readKeyring,
  readSigningKey,
  SignatureError,
  type SigningKey,
  signatureName,
  signDelta,
  verifyDelta,
} from '../src/index.js';
import { bytes, FakeLocks } from './_fixtures.js';

interface Pair {
  secret: string;
  public: string;
  key: SigningKey;
}

async function pair(type: 'ecc' | 'rsa', name: string, passphrase?: string): Promise<Pair> {
  const userIDs = [{ name, email: `${name.toLowerCase()}@example.org` }];
  const made =
    type === 'ecc'
      ? await openpgp.generateKey({
          type: 'ecc',
          curve: 'ed25519Legacy',
          userIDs,
          passphrase,
          format: 'armored',
        })
      : await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs, passphrase, format: 'armored' });
  return {
    secret: made.privateKey,
    public: made.publicKey,
    key: await readSigningKey(made.privateKey, passphrase),
  };
}

let ed: Pair;
let rsa: Pair;
let stranger: Pair;
let keyring: Keyring;
beforeAll(async () => {
  [ed, rsa, stranger] = await Promise.all([pair('ecc', 'Ed'), pair('rsa', 'Rsa'), pair('ecc', 'Stranger')]);
  keyring = await readKeyring(`${ed.public}\n${rsa.public}`);
}, 60_000);

async function errorOf(promise: Promise<unknown>): Promise<SignatureError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignatureError) return error;
    throw error;
  }
  throw new Error('expected a SignatureError, got success');
}

/** A web stream of `data` in chunks of `size` bytes. */
function webStream(data: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= data.length) controller.close();
      else {
        controller.enqueue(data.slice(at, at + size));
        at += size;
      }
    },
  });
}

describe('signDelta and verifyDelta', () => {
  const delta = bytes(100_000, 7);

  for (const which of ['Ed25519', 'RSA'] as const) {
    it(`verifies a ${which} signature of the delta and names the signer`, async () => {
      const key = which === 'RSA' ? rsa : ed;
      const asc = await signDelta(delta, key.key);
      expect(asc).toMatch(/^-----BEGIN PGP SIGNATURE-----\n[\s\S]+-----END PGP SIGNATURE-----\n?$/);
      const who = await verifyDelta(delta, asc, keyring);
      expect(who.key.userIds).toEqual([`${which === 'RSA' ? 'Rsa <rsa' : 'Ed <ed'}@example.org>`]);
      expect(who.key.fingerprint).toBe(key.key.info.fingerprint);
      expect(who.keyId).toMatch(/^[0-9A-F]{16}$/);
      expect(Math.abs(who.created.getTime() - Date.now())).toBeLessThan(60_000);
    });
  }

  it('signs and verifies a 3 MB delta read as a web stream and as a Node stream, in odd-sized chunks', async () => {
    const big = bytes(3_000_000, 11);
    const asc = await signDelta(webStream(big, 65_537), ed.key);
    expect((await verifyDelta(big, asc, keyring)).key.fingerprint).toBe(ed.key.info.fingerprint);
    const node = Readable.from(
      (function* () {
        for (let at = 0; at < big.length; at += 99_991) yield Buffer.from(big.subarray(at, at + 99_991));
      })(),
    );
    expect((await verifyDelta(node, asc, keyring)).key.userIds).toEqual(['Ed <ed@example.org>']);
    const other = Uint8Array.from(big);
    other[2_999_999]! ^= 1;
    expect((await errorOf(verifyDelta(webStream(other, 4096), asc, keyring))).code).toBe('EMISMATCH');
  });

  it('accepts a binary (unarmored) signature, as `gpg --detach-sign` without --armor writes', async () => {
    const armored = await signDelta(delta, rsa.key);
    const binary = (await openpgp.readSignature({ armoredSignature: armored })).write() as Uint8Array;
    expect((await verifyDelta(delta, binary, keyring)).key.userIds).toEqual(['Rsa <rsa@example.org>']);
  });

  it('refuses a signature over other bytes (EMISMATCH), naming the key', async () => {
    const asc = await signDelta(bytes(100_000, 8), ed.key);
    const e = await errorOf(verifyDelta(delta, asc, keyring));
    expect(e.code).toBe('EMISMATCH');
    expect(e.message).toMatch(
      /^the signature by key [0-9A-F]{16} \(Ed <ed@example\.org>\) does not match the delta/,
    );
  });

  it('refuses a signature by a key that is not in the keyring (EUNKNOWNKEY), naming its key ID', async () => {
    const asc = await signDelta(delta, stranger.key);
    const e = await errorOf(verifyDelta(delta, asc, keyring));
    expect(e.code).toBe('EUNKNOWNKEY');
    const id = stranger.key.info.fingerprint.slice(-16);
    expect(e.message).toBe(`signed by key ${id}, which is not in the keyring`);
  });

  it('refuses what is not a signature (EBADSIG): garbage, an empty file, a public key', async () => {
    for (const bad of ['garbage\n', '', ed.public, new Uint8Array([0x89, 1, 2, 3])]) {
      const e = await errorOf(verifyDelta(delta, bad, keyring));
      expect(e.code, String(bad).slice(0, 20)).toBe('EBADSIG');
      expect(e.message).toMatch(/^not an OpenPGP signature|holds no signature/);
    }
  });

  it('refuses a signature dated in the future and one by a revoked key (EINVALID), with the reason', async () => {
    const secret = await openpgp.readPrivateKey({ armoredKey: ed.secret });
    const future = await openpgp.sign({
      message: await openpgp.createMessage({ binary: delta }),
      signingKeys: secret,
      detached: true,
      date: new Date(Date.now() + 3 * 86_400_000),
    });
    const e = await errorOf(verifyDelta(delta, future, keyring));
    expect(e.code).toBe('EINVALID');
    expect(e.message).toMatch(/is not valid: Signature creation time is in the future/);

    const { publicKey: revoked } = await openpgp.revokeKey({ key: secret, format: 'armored' });
    const asc = await signDelta(delta, ed.key);
    const r = await errorOf(verifyDelta(delta, asc, await readKeyring(revoked)));
    expect(r.code).toBe('EINVALID');
    expect(r.message).toMatch(/revoked/);
  });

  it('passes an error reading the delta on as it is: a local failure, not a bad signature', async () => {
    const asc = await signDelta(delta, ed.key);
    async function* failing() {
      yield delta.subarray(0, 1000);
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    await expect(verifyDelta(failing(), asc, keyring)).rejects.toMatchObject({ code: 'EIO' });
    await expect(signDelta(failing(), ed.key)).rejects.toMatchObject({ code: 'EIO' });
  });

  it('passes with one good trusted signature among signatures by several keys', async () => {
    const message = await openpgp.createMessage({ binary: delta });
    const both = await openpgp.sign({
      message,
      signingKeys: [
        await openpgp.readPrivateKey({ armoredKey: stranger.secret }),
        await openpgp.readPrivateKey({ armoredKey: rsa.secret }),
      ],
      detached: true,
    });
    expect((await verifyDelta(delta, both, keyring)).key.userIds).toEqual(['Rsa <rsa@example.org>']);
  });
});

describe('readKeyring', () => {
  it('reads several armored blocks one after another, and binary keys', async () => {
    expect(keyring.keys.map((k) => k.userIds[0])).toEqual(['Ed <ed@example.org>', 'Rsa <rsa@example.org>']);
    const binary = (await openpgp.readKey({ armoredKey: rsa.public })).write();
    const fromBinary = await readKeyring(binary);
    expect(fromBinary.keys).toEqual([keyring.keys[1]]);
  });

  it('uses only the public half of a secret key given as the keyring', async () => {
    const ring = await readKeyring(ed.secret);
    expect(ring.keys[0]!.fingerprint).toBe(ed.key.info.fingerprint);
    expect((await verifyDelta(bytes(10), await signDelta(bytes(10), ed.key), ring)).keyId).toMatch(
      /^[0-9A-F]+$/,
    );
  });

  it('refuses garbage, an empty file and a GnuPG keybox with EBADKEYRING and what to do', async () => {
    const keybox = new Uint8Array(32);
    keybox.set([0, 0, 0, 32, 1, 1, 0, 0, 0x4b, 0x42, 0x58, 0x66]);
    const kbx = await errorOf(readKeyring(keybox));
    expect(kbx.code).toBe('EBADKEYRING');
    expect(kbx.message).toMatch(/GnuPG keybox.*gpg --export/);
    for (const bad of ['hello\n', new Uint8Array(0), new Uint8Array([1, 2, 3])]) {
      const e = await errorOf(readKeyring(bad));
      expect(e.code).toBe('EBADKEYRING');
      expect(e.message).toMatch(/gpg --export|holds no key/);
    }
  });
});

describe('readSigningKey', () => {
  it('unlocks a protected key with its passphrase, and says what is wrong without one or with a wrong one', async () => {
    const locked = await pair('ecc', 'Locked', 'correct horse');
    expect(
      await verifyDelta(bytes(10), await signDelta(bytes(10), locked.key), await readKeyring(locked.public)),
    );
    const none = await errorOf(readSigningKey(locked.secret));
    expect(none).toMatchObject({
      code: 'EPASSPHRASE',
      message: expect.stringMatching(/protected by a passphrase/),
    });
    const wrong = await errorOf(readSigningKey(locked.secret, 'battery staple'));
    expect(wrong).toMatchObject({
      code: 'EPASSPHRASE',
      message: expect.stringMatching(/Incorrect key passphrase/),
    });
  });

  it('refuses a public key, garbage, and a file of two secret keys (EBADKEY)', async () => {
    for (const bad of [ed.public, 'hello', `${ed.secret}\n${rsa.secret}`]) {
      const e = await errorOf(readSigningKey(bad));
      expect(e.code).toBe('EBADKEY');
    }
    expect((await errorOf(readSigningKey(`${ed.secret}\n${rsa.secret}`))).message).toMatch(
      /holds 2 secret keys \(Ed <ed@example\.org>, Rsa <rsa@example\.org>\)/,
    );
  });
});

describe('signatureName', () => {
  it("is NAME.asc, and refuses a name whose signature would not fit FreeBSD's 29 characters", () => {
    expect(signatureName('src-cur.0042.gz')).toBe('src-cur.0042.gz.asc');
    expect(signatureName('a'.repeat(25))).toHaveLength(29);
    expect(() => signatureName('a'.repeat(26))).toThrow(CtmMailError);
    expect(() => signatureName('a'.repeat(26))).toThrow(/longer than 29 characters/);
  });
});

describe('applyCompleted with a signature check', () => {
  function ports(verdicts: Record<string, DeltaVerdict>, present: string[]) {
    const lines: string[] = [];
    const ran: string[] = [];
    const removed: string[] = [];
    const asides: string[] = [];
    const p: ApplyCompletedPorts = {
      locks: new FakeLocks(),
      log: (line) => lines.push(line),
      readStatus: async () => 'src 4\n',
      hasDelta: async (name) => present.includes(name),
      runCtm: async (name) => {
        ran.push(name);
        return true;
      },
      removeDelta: async (name) => void removed.push(name),
      checkDelta: async (name) => verdicts[name] ?? { verdict: 'wait', reason: 'no verdict' },
      setAside: async (name, what) => {
        asides.push(`${name} ${what}`);
        return '/deltas/.rejected';
      },
    };
    return { p, lines, ran, removed, asides };
  }

  it('applies a delta with a good signature, logs who signed it, and with -D removes the signature too', async () => {
    const t = ports(
      {
        'src.0005.gz': { verdict: 'apply', note: 'has a good signature by Ed' },
        'src.0006.gz': { verdict: 'wait', reason: 'waiting for its signature src.0006.gz.asc' },
      },
      ['src.0005.gz', 'src.0006.gz'],
    );
    expect(await applyCompleted(t.p, { deleteAfter: true })).toBe(1);
    expect(t.ran).toEqual(['src.0005.gz']);
    expect(t.removed).toEqual(['src.0005.gz', 'src.0005.gz.asc']);
    expect(t.lines).toEqual([
      'src.0005.gz has a good signature by Ed',
      'src.0005.gz applied and deleted',
      'src.0006.gz not applied yet: waiting for its signature src.0006.gz.asc',
    ]);
  });

  it('sets a bad signature aside, says why, applies nothing after it, and lets the delta wait for a good one', async () => {
    const t = ports(
      {
        'src.0005.gz': {
          verdict: 'reject',
          reason: 'src.0005.gz.asc: signed by key 1234, which is not in the keyring',
          aside: 'signature',
        },
        'src.0006.gz': { verdict: 'apply', note: 'has a good signature by Ed' },
      },
      ['src.0005.gz', 'src.0006.gz'],
    );
    expect(await applyCompleted(t.p)).toBe(0);
    expect(t.ran).toEqual([]);
    expect(t.asides).toEqual(['src.0005.gz signature']);
    expect(t.lines).toEqual([
      'src.0005.gz not applied: src.0005.gz.asc: signed by key 1234, which is not in the keyring',
      'src.0005.gz.asc set aside in /deltas/.rejected; src.0005.gz waits for a good signature',
    ]);
  });

  it('sets a delta aside with its signature when they do not belong together', async () => {
    const reason = 'src.0005.gz.asc: the signature by key 1234 (Ed) does not match the delta';
    const t = ports({ 'src.0005.gz': { verdict: 'reject', reason, aside: 'both' } }, ['src.0005.gz']);
    expect(await applyCompleted(t.p)).toBe(0);
    expect(t.ran).toEqual([]);
    expect(t.asides).toEqual(['src.0005.gz both']);
    expect(t.lines).toEqual([
      `src.0005.gz not applied: ${reason}`,
      'src.0005.gz and its signature set aside in /deltas/.rejected',
    ]);
  });

  it('without a check, applies as the original does and leaves any NAME.asc alone with -D', async () => {
    const t = ports({}, ['src.0005.gz']);
    delete t.p.checkDelta;
    expect(await applyCompleted(t.p, { deleteAfter: true })).toBe(1);
    expect(t.removed).toEqual(['src.0005.gz']);
    expect(t.lines).toEqual(['src.0005.gz applied and deleted']);
  });
});
