import { readFileSync } from 'node:fs';
import { type Keyring, readKeyring, readSigningKey, type SigningKey } from '@suite/ctm-mail';
import { strerror } from '@suite/ctm-mail/node';

/** sysexits' EX_TEMPFAIL: an MTA keeps the message and delivers it again later. */
export const EX_TEMPFAIL = 75;

/** The environment variable ctm_smail --sign reads the key's passphrase from, when no --passphrase-file is given. */
export const PASSPHRASE_VARIABLE = 'CTM_SIGN_PASSPHRASE';

/** A key or keyring that cannot be used; `message` names the file and says why. */
export class KeyFileError extends Error {}

/** Reads the trusted keys of --keyring FILE. @throws {KeyFileError} */
export async function loadKeyring(file: string): Promise<Keyring> {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    throw new KeyFileError(`keyring '${file}': ${strerror(error)}`);
  }
  try {
    return await readKeyring(data);
  } catch (error) {
    throw new KeyFileError(`keyring '${file}': ${(error as Error).message}`);
  }
}

/**
 * Reads the secret key of --sign KEYFILE, unlocked with the first line of --passphrase-file or else with
 * $CTM_SIGN_PASSPHRASE (never from the command line, where every user can read it). @throws {KeyFileError}
 */
export async function loadSigningKey(file: string, passphraseFile: string | undefined): Promise<SigningKey> {
  let passphrase = process.env[PASSPHRASE_VARIABLE];
  if (passphraseFile !== undefined) {
    try {
      passphrase = readFileSync(passphraseFile, 'utf8').split('\n')[0]!.replace(/\r$/, '');
    } catch (error) {
      throw new KeyFileError(`passphrase file '${passphraseFile}': ${strerror(error)}`);
    }
  }
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    throw new KeyFileError(`signing key '${file}': ${strerror(error)}`);
  }
  try {
    return await readSigningKey(data, passphrase);
  } catch (error) {
    const hint =
      (error as { code?: string }).code === 'EPASSPHRASE' && passphrase === undefined
        ? ` (give it with --passphrase-file FILE or $${PASSPHRASE_VARIABLE})`
        : '';
    throw new KeyFileError(`signing key '${file}': ${(error as Error).message}${hint}`);
  }
}

/** A delta's signature as the source of a companion delta `NAME.asc`, split and sent like any other. */
export function signatureSource(signature: string): {
  readonly size: number;
  read(length: number): Uint8Array;
} {
  const bytes = new TextEncoder().encode(signature);
  let at = 0;
  return {
    size: bytes.length,
    read(length) {
      const chunk = bytes.subarray(at, at + length);
      at += chunk.length;
      return chunk;
    },
  };
}
