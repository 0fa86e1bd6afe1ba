// Detached OpenPGP signatures of deltas, on OpenPGP.js. The library is loaded on first use, so the tools that
// never sign or verify do not pay for loading it.
import type { Key, PrivateKey, PublicKey, Signature } from 'openpgp';
import { MAX_DELTA_NAME_LENGTH } from './delta-name.js';
import { CtmMailError } from './errors.js';

/** What went wrong with a signature, a key or a keyring, as a stable code a program can test. */
export type SignatureErrorCode =
  | 'ENOSIG' // there is no signature (the `NAME.asc` beside the delta is missing)
  | 'EBADSIG' // the signature is not an OpenPGP detached signature (malformed, or something else)
  | 'EUNKNOWNKEY' // the signature was made by a key that is not in the keyring
  | 'EMISMATCH' // the signature was made over other bytes than the delta's
  | 'EINVALID' // the signature cannot be trusted for another reason: a revoked or expired key, a future date, ...
  | 'EBADKEYRING' // the keyring is not a file of OpenPGP public keys, or holds none
  | 'EBADKEY' // the signing key is not one OpenPGP secret key that can sign
  | 'EPASSPHRASE'; // the signing key is protected and no passphrase, or a wrong one, was given

/**
 * An error of a signature check or of signing: `code` says what kind, `message` says what to do about it.
 * @example
 * try { await verifyDelta(bytes, signature, keyring); }
 * catch (e) { if (e instanceof SignatureError && e.code === 'EUNKNOWNKEY') console.error(e.message); }
 */
export class SignatureError extends Error {
  /** The kind of error. */
  readonly code: SignatureErrorCode;

  constructor(code: SignatureErrorCode, message: string) {
    super(message);
    this.name = 'SignatureError';
    this.code = code;
  }
}

/**
 * A delta's bytes: whole, or as a stream that is read once (a web `ReadableStream`, or any async iterable of
 * chunks, such as a Node stream); each chunk must stay as it is once handed over.
 * @example
 * await verifyDelta(createReadStream('src-cur.0042.gz'), asc, keyring); // a Node stream is an async iterable
 */
export type DeltaBytes = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * One key, as a person checks it: its fingerprint (upper-case hex) and its user IDs.
 * @example
 * { fingerprint: '02CBE3F42D1876DB312A31F6B0236D0EFCFE5B8E', userIds: ['CTM <ctm@example.org>'] }
 */
export interface KeyInfo {
  readonly fingerprint: string;
  readonly userIds: readonly string[];
}

/**
 * A good signature: who made it, with which (sub)key, and when.
 * @example
 * const { key, keyId, created } = await verifyDelta(delta, asc, keyring);
 */
export interface VerifiedSignature {
  /** The signer's primary key. */
  readonly key: KeyInfo;
  /** The ID of the (sub)key that made the signature (16 upper-case hex digits). */
  readonly keyId: string;
  /** When the signature was made, by the signer's clock. */
  readonly created: Date;
}

/**
 * The public keys trusted to sign deltas: an OpenPGP key file (`gpg --export`, armored or binary, one key or
 * many). Made by {@link readKeyring}.
 * @example
 * const keyring = await readKeyring(readFileSync('/etc/ctm/trusted.asc'));
 * for (const key of keyring.keys) console.log(key.fingerprint, key.userIds.join(', '));
 */
export class Keyring {
  readonly #keys: readonly PublicKey[];

  /** @internal Use {@link readKeyring}. */
  constructor(keys: readonly PublicKey[]) {
    this.#keys = keys;
  }

  /** The keys, for a person to check. */
  get keys(): readonly KeyInfo[] {
    return this.#keys.map(keyInfo);
  }

  /** @internal The keys that hold the (sub)key `keyId`. */
  holding(keyId: string): PublicKey[] {
    return this.#keys.filter((key) =>
      key.getKeys().some((k) => k.getKeyID().toHex().toUpperCase() === keyId),
    );
  }
}

/**
 * A secret key, unlocked, that signs deltas. Made by {@link readSigningKey}.
 * @example
 * const key = await readSigningKey(readFileSync('ctm.key'), passphrase);
 * key.info.userIds; // ['CTM <ctm@example.org>']
 */
export class SigningKey {
  /** @internal */
  readonly key: PrivateKey;

  /** @internal Use {@link readSigningKey}. */
  constructor(key: PrivateKey) {
    this.key = key;
  }

  /** The key, for a person to check. */
  get info(): KeyInfo {
    return keyInfo(this.key);
  }
}

/** The name of a delta's signature, which travels as a delta of its own: `NAME.asc`, as `gpg --armor` names it. */
const SIGNATURE_SUFFIX = '.asc';

/**
 * The name a delta's detached signature has beside it and on its way: `NAME.asc`, the name that
 * `gpg --detach-sign --armor NAME` gives. It must fit in FreeBSD's 29-character delta names, so that an old
 * ctm_rmail can store it.
 * @throws {CtmMailError} `EBADNAME` when `NAME.asc` would be longer than 29 characters.
 * @example
 * signatureName('src-cur.0042.gz'); // 'src-cur.0042.gz.asc'
 */
export function signatureName(deltaName: string): string {
  const name = `${deltaName}${SIGNATURE_SUFFIX}`;
  if (name.length > MAX_DELTA_NAME_LENGTH) {
    throw new CtmMailError(
      'EBADNAME',
      `its signature's name '${name}' would be longer than ${MAX_DELTA_NAME_LENGTH} characters, which FreeBSD's ctm_rmail cannot receive: use a shorter delta name`,
    );
  }
  return name;
}

/**
 * Reads the trusted public keys from an OpenPGP key file: armored (one or more `PUBLIC KEY BLOCK`s, as
 * `gpg --export --armor` writes) or binary (`gpg --export`).
 * @throws {SignatureError} `EBADKEYRING` when the file holds no OpenPGP key (a GnuPG keybox is named as such).
 * @example
 * const keyring = await readKeyring(readFileSync('/etc/ctm/trusted.asc'));
 * keyring.keys; // [{ fingerprint: '02CBE3F4...', userIds: ['CTM <ctm@example.org>'] }]
 */
export async function readKeyring(data: Uint8Array | string): Promise<Keyring> {
  const openpgp = await import('openpgp');
  const text = typeof data === 'string' ? data : armoredText(data);
  let keys: Key[];
  try {
    if (text !== undefined) {
      keys = [];
      for (const armoredKeys of armoredBlocks(text)) keys.push(...(await openpgp.readKeys({ armoredKeys })));
    } else {
      const binary = data as Uint8Array;
      if (isKeybox(binary)) {
        throw new SignatureError(
          'EBADKEYRING',
          'a GnuPG keybox (pubring.kbx) is not a key file: export the trusted keys with `gpg --export KEYID > FILE`',
        );
      }
      keys = await openpgp.readKeys({ binaryKeys: binary });
    }
  } catch (error) {
    if (error instanceof SignatureError) throw error;
    throw new SignatureError(
      'EBADKEYRING',
      `not a file of OpenPGP public keys (${reason(error)}): export them with \`gpg --export --armor KEYID > FILE\``,
    );
  }
  if (keys.length === 0) throw new SignatureError('EBADKEYRING', 'the keyring holds no key');
  return new Keyring(keys.map((key) => key.toPublic()));
}

/**
 * Reads one OpenPGP secret key (`gpg --export-secret-keys`, armored or binary) and unlocks it with `passphrase`
 * if it is protected.
 * @throws {SignatureError} `EBADKEY` (not one secret key, or none of its keys can sign), `EPASSPHRASE` (protected,
 * and no passphrase or a wrong one).
 * @example
 * const key = await readSigningKey(readFileSync('ctm-signing.key'), process.env.CTM_SIGN_PASSPHRASE);
 */
export async function readSigningKey(data: Uint8Array | string, passphrase?: string): Promise<SigningKey> {
  const openpgp = await import('openpgp');
  const text = typeof data === 'string' ? data : armoredText(data);
  let keys: PrivateKey[];
  try {
    if (text !== undefined) {
      keys = [];
      for (const armoredKeys of armoredBlocks(text))
        keys.push(...(await openpgp.readPrivateKeys({ armoredKeys })));
    } else {
      keys = await openpgp.readPrivateKeys({ binaryKeys: data as Uint8Array });
    }
  } catch (error) {
    throw new SignatureError(
      'EBADKEY',
      `not an OpenPGP secret key (${reason(error)}): export one with \`gpg --export-secret-keys --armor KEYID > FILE\``,
    );
  }
  if (keys.length !== 1) {
    const which = keys.map((k) => keyInfo(k).userIds[0] ?? keyInfo(k).fingerprint).join(', ');
    throw new SignatureError(
      'EBADKEY',
      `holds ${keys.length} secret keys (${which}): export the one to sign with`,
    );
  }
  let key = keys[0]!;
  if (!key.isDecrypted()) {
    if (passphrase === undefined) {
      throw new SignatureError(
        'EPASSPHRASE',
        'the secret key is protected by a passphrase, and none was given',
      );
    }
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (error) {
      throw new SignatureError('EPASSPHRASE', `cannot unlock the secret key: ${reason(error)}`);
    }
  }
  try {
    await key.getSigningKey();
  } catch (error) {
    throw new SignatureError('EBADKEY', `the key cannot sign: ${reason(error)}`);
  }
  return new SigningKey(key);
}

/**
 * Makes a detached, armored OpenPGP signature of a delta's bytes (binary mode, as `gpg --detach-sign --armor`
 * makes), read from bytes or a stream without holding the whole delta in memory.
 * @example
 * const asc = await signDelta(readFileSync('src-cur.0042.gz'), key);
 * writeFileSync('src-cur.0042.gz.asc', asc); // `gpg --verify src-cur.0042.gz.asc` checks it
 */
export async function signDelta(delta: DeltaBytes, key: SigningKey): Promise<string> {
  const openpgp = await import('openpgp');
  const source = guarded(delta);
  try {
    const message = await openpgp.createMessage({ binary: source.stream });
    const armored = await openpgp.sign({ message, signingKeys: key.key, detached: true, format: 'armored' });
    return typeof armored === 'string' ? armored : await readAllText(armored as ReadableStream<string>);
  } catch (error) {
    throw source.failure ?? error;
  }
}

/**
 * Checks a detached OpenPGP signature (armored or binary) of a delta against the trusted keys; the delta is read
 * once, from bytes or a stream, without holding it whole. Resolves to who signed; a signature by several keys
 * passes when one of them is trusted and good.
 * @throws {SignatureError} `EBADSIG` (not a signature), `EUNKNOWNKEY` (by a key not in the keyring),
 * `EMISMATCH` (made over other bytes), `EINVALID` (a revoked or expired key, a date in the future, ...). An error
 * reading the delta's stream is thrown as it is.
 * @example
 * const who = await verifyDelta(deltaBytes, ascText, keyring);
 * who.key.userIds; // ['CTM <ctm@example.org>']
 */
export async function verifyDelta(
  delta: DeltaBytes,
  signature: Uint8Array | string,
  keyring: Keyring,
): Promise<VerifiedSignature> {
  const openpgp = await import('openpgp');
  const parsed = await readDetachedSignature(openpgp, signature);
  const keyIds = parsed.getSigningKeyIDs().map((id) => id.toHex().toUpperCase());
  const trusted = [...new Set(keyIds.flatMap((id) => keyring.holding(id)))];
  if (trusted.length === 0) {
    throw new SignatureError(
      'EUNKNOWNKEY',
      `signed by key ${keyIds.join(', ')}, which is not in the keyring`,
    );
  }
  const source = guarded(delta);
  let failure: unknown;
  try {
    const message = await openpgp.createMessage({ binary: source.stream });
    const result = await openpgp.verify({
      message,
      signature: parsed,
      verificationKeys: trusted,
      format: 'binary',
    });
    await drain(result.data as Uint8Array | ReadableStream<Uint8Array>);
    for (const one of result.signatures) {
      const id = one.keyID.toHex().toUpperCase();
      const signer = trusted.find((key) =>
        key.getKeys().some((k) => k.getKeyID().toHex().toUpperCase() === id),
      );
      if (!signer) continue;
      try {
        await one.verified;
        const packet = (await one.signature).packets[0];
        return { key: keyInfo(signer), keyId: id, created: packet?.created ?? new Date(0) };
      } catch (error) {
        failure ??= rejection(error, signer, id);
      }
    }
  } catch (error) {
    throw source.failure ?? error;
  }
  if (source.failure) throw source.failure;
  throw failure ?? new SignatureError('EINVALID', 'no signature by a trusted key could be checked');
}

async function readDetachedSignature(openpgp: typeof import('openpgp'), signature: Uint8Array | string) {
  const text = typeof signature === 'string' ? signature : armoredText(signature);
  let parsed: Signature;
  try {
    parsed =
      text !== undefined
        ? await openpgp.readSignature({ armoredSignature: text })
        : await openpgp.readSignature({ binarySignature: signature as Uint8Array });
  } catch (error) {
    throw new SignatureError('EBADSIG', `not an OpenPGP signature (${reason(error)})`);
  }
  if (parsed.packets.length === 0)
    throw new SignatureError('EBADSIG', 'the signature holds no signature packet');
  return parsed;
}

function rejection(error: unknown, signer: PublicKey, keyId: string): SignatureError {
  const info = keyInfo(signer);
  const who = `key ${keyId}${info.userIds[0] ? ` (${info.userIds[0]})` : ''}`;
  const text = reason(error);
  if (/digest did not match|verification failed/i.test(text)) {
    return new SignatureError(
      'EMISMATCH',
      `the signature by ${who} does not match the delta: it was made over other bytes`,
    );
  }
  return new SignatureError('EINVALID', `the signature by ${who} is not valid: ${text}`);
}

/** The delta as a web stream for OpenPGP.js, remembering an error of the source (a read error is not a bad signature). */
function guarded(delta: DeltaBytes): { stream: Uint8Array | ReadableStream<Uint8Array>; failure?: unknown } {
  if (delta instanceof Uint8Array) return { stream: delta };
  const state: { stream: ReadableStream<Uint8Array>; failure?: unknown } = {
    stream: undefined as unknown as ReadableStream<Uint8Array>,
  };
  const iterator: AsyncIterator<Uint8Array> =
    Symbol.asyncIterator in delta
      ? (delta as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : readerIterator((delta as ReadableStream<Uint8Array>).getReader());
  state.stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        state.failure = error;
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return state;
}

function readerIterator(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncIterator<Uint8Array> {
  return {
    next: async () => {
      const { done, value } = await reader.read();
      return done ? { done: true, value: undefined } : { done: false, value };
    },
    return: async () => {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}

async function drain(data: Uint8Array | ReadableStream<Uint8Array>): Promise<void> {
  if (data instanceof Uint8Array) return;
  const reader = data.getReader();
  for (;;) if ((await reader.read()).done) return;
}

async function readAllText(stream: ReadableStream<string>): Promise<string> {
  const reader = stream.getReader();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += value;
  }
}

/** The text of an armored file, or `undefined` for binary data. */
function armoredText(data: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(data.subarray(0, 64)).trimStart();
  return head.startsWith('-----BEGIN PGP ') ? new TextDecoder().decode(data) : undefined;
}

/** The armored key blocks of a text, each read on its own (OpenPGP.js reads only the first of a text). */
function armoredBlocks(text: string): string[] {
  const blocks = text.match(
    /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g,
  );
  if (!blocks) throw new Error('no PGP KEY BLOCK in it');
  return blocks;
}

/** A GnuPG keybox file (pubring.kbx) has the magic "KBXf" in its first blob. */
function isKeybox(data: Uint8Array): boolean {
  return data.length >= 12 && data[8] === 0x4b && data[9] === 0x42 && data[10] === 0x58 && data[11] === 0x66;
}

function keyInfo(key: Key): KeyInfo {
  return { fingerprint: key.getFingerprint().toUpperCase(), userIds: key.getUserIDs() };
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // OpenPGP.js prefixes what it was doing ("Error reading signature: ..."); the cause is what a person needs.
  return text.replace(/^Error [a-z ]+: /, '');
}
