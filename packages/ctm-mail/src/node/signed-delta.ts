import { closeSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplyCompletedPorts } from '../applier.js';
import {
  type Keyring,
  SignatureError,
  type SigningKey,
  signatureName,
  signDelta,
  type VerifiedSignature,
  verifyDelta,
} from '../signature.js';

/** Bytes read from the delta at a time while it is signed or checked. */
const CHUNK = 1 << 20;
/** A detached signature is a few hundred bytes; anything much bigger is not one, and is not read whole. */
const MAX_SIGNATURE_SIZE = 64 * 1024;
/** Where rejected deltas and their signatures are kept, in the delta directory (a dot-name: never a delta's). */
const REJECTED_DIR = '.rejected';
/** FilePieceStore's markers of rebuilt deltas, which would make a genuine delivery look like a duplicate. */
const REBUILT_DIR = '.rebuilt';

/**
 * Signs a delta file, read in bounded chunks: a path, or an open descriptor read from offset 0 without moving its
 * position (so the same descriptor can then be split into pieces). Resolves to the armored detached signature.
 * @example
 * const asc = await signDeltaFile('src-cur.0042.gz', key);
 */
export async function signDeltaFile(file: string | number, key: SigningKey): Promise<string> {
  const fd = typeof file === 'number' ? file : openSync(file, 'r');
  try {
    return await signDelta(chunksOf(fd), key);
  } finally {
    if (typeof file !== 'number') closeSync(fd);
  }
}

/**
 * Checks a delta file against its detached signature beside it (`DELTA.asc`, or `signaturePath`), read in
 * bounded chunks.
 * @throws {SignatureError} `ENOSIG` when the signature file is not there, and the codes of {@link verifyDelta}.
 * Errors reading the files are thrown as they are (Node's, with a `code`).
 * @example
 * const who = await verifyDeltaFile('/ctm/deltas/src-cur.0042.gz', keyring);
 */
export async function verifyDeltaFile(
  path: string,
  keyring: Keyring,
  signaturePath = `${path}.asc`,
): Promise<VerifiedSignature> {
  let signature: Uint8Array;
  try {
    signature = await readSignatureFile(signaturePath);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new SignatureError('ENOSIG', `no signature: ${signaturePath} is not there`);
    }
    throw error;
  }
  const handle = await open(path, 'r');
  try {
    return await verifyDelta(handleChunks(handle), signature, keyring);
  } finally {
    await handle.close();
  }
}

/**
 * The signature check of `ctm_rmail -b --keyring`, on a real delta directory: the `checkDelta` and `setAside` ports
 * of {@link applyCompleted}. A delta is applied only with a good signature `NAME.asc` beside it by a key in the
 * keyring; without one it waits. A bad signature (malformed, by an unknown, revoked or expired key) is moved to
 * `DELTADIR/.rejected/` and the delta waits for a good one; a trusted signature over other bytes is moved there
 * with its delta. What is moved gets a numbered name when the name is taken, and is forgotten as rebuilt, so that
 * the genuine files can still be delivered.
 * @example
 * await applyCompleted({ ...ports, ...signatureGate('/ctm/deltas', keyring) });
 */
export function signatureGate(
  deltaDir: string,
  keyring: Keyring,
): Required<Pick<ApplyCompletedPorts, 'checkDelta' | 'setAside'>> {
  return {
    async checkDelta(name) {
      let asc: string;
      try {
        asc = signatureName(name);
      } catch (error) {
        return {
          verdict: 'reject',
          reason: `it cannot be signed: ${(error as Error).message}`,
          aside: 'both',
        };
      }
      try {
        const who = await verifyDeltaFile(join(deltaDir, name), keyring, join(deltaDir, asc));
        return { verdict: 'apply', note: `has a good signature by ${describeSigner(who)}` };
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        if (error.code === 'ENOSIG') return { verdict: 'wait', reason: `waiting for its signature ${asc}` };
        // A signature by a trusted key over other bytes: the two do not belong together, and which one is forged
        // cannot be told. Any other bad signature is the forgery: the delta may still get a good one.
        return {
          verdict: 'reject',
          reason: `${asc}: ${error.message}`,
          aside: error.code === 'EMISMATCH' ? 'both' : 'signature',
        };
      }
    },
    async setAside(name, what) {
      const rejected = join(deltaDir, REJECTED_DIR);
      mkdirSync(rejected, { recursive: true, mode: 0o700 });
      const names = what === 'both' ? [name] : [];
      try {
        names.push(signatureName(name));
      } catch {
        // a name too long to have a signature: only the delta is there
      }
      let suffix = '';
      for (let n = 2; names.some((f) => exists(join(rejected, `${f}${suffix}`))); n++) suffix = `-${n}`;
      for (const file of names) {
        try {
          renameSync(join(deltaDir, file), join(rejected, `${file}${suffix}`));
        } catch (error) {
          if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
        }
        try {
          unlinkSync(join(deltaDir, REBUILT_DIR, file));
        } catch {
          // never marked, or already forgotten
        }
      }
      return rejected;
    },
  };
}

/**
 * Who signed, for a log line: the first user ID and the primary key's fingerprint.
 * @example
 * describeSigner(await verifyDeltaFile(path, keyring)); // 'CTM <ctm@example.org> (key 02CBE3F4...FE5B8E)'
 */
export function describeSigner(who: VerifiedSignature): string {
  const [user] = who.key.userIds;
  return user ? `${user} (key ${who.key.fingerprint})` : `key ${who.key.fingerprint}`;
}

async function readSignatureFile(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_SIGNATURE_SIZE) {
      throw new SignatureError('EBADSIG', `not an OpenPGP signature: ${size} bytes is far too big for one`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A descriptor's bytes from offset 0, by position (its own offset is left alone), in fresh chunks. */
async function* chunksOf(fd: number): AsyncGenerator<Uint8Array, void, undefined> {
  for (let position = 0; ; ) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    const n = readSync(fd, chunk, 0, CHUNK, position);
    if (n === 0) return;
    position += n;
    yield chunk.subarray(0, n);
  }
}

async function* handleChunks(handle: Awaited<ReturnType<typeof open>>): AsyncGenerator<Uint8Array, void> {
  for (;;) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
    if (bytesRead === 0) return;
    yield chunk.subarray(0, bytesRead);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
