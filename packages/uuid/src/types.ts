/**
 * The brand of {@link Uuid}: a type only (no value exists at run time), exported so that the type is nameable.
 * @example
 * import type { Uuid, uuidBrand } from '@suite/uuid';
 * type Brand = Uuid[typeof uuidBrand]; // true
 */
export declare const uuidBrand: unique symbol;

/**
 * A checked UUID string: a branded `string`, opt-in. The generators return plain `string` (as the `uuid` package's
 * do, so `let id = v4(); id = 'x'` compiles); `isUuid` narrows a value to this type once it has been checked.
 * @example
 * import { isUuid, type Uuid, v4 } from '@suite/uuid';
 * const id = v4();
 * if (isUuid(id)) { const checked: Uuid = id; }
 */
export type Uuid = string & { readonly [uuidBrand]: true };

/** A UUID as a string or as its 16 bytes (the `uuid` package's `UUIDTypes`). */
export type UuidInput = string | Uint8Array;

/** Options of `v1` and `v6`, as in the `uuid` package: fixed fields for reproducible output. */
export interface Version1Options {
  /** 6 bytes; default: a random node with the multicast bit set, kept for the process. */
  readonly node?: Uint8Array;
  /** 14-bit clock sequence. */
  readonly clockseq?: number;
  /** 16 random bytes used for any field not given. */
  readonly random?: Uint8Array;
  /** Returns 16 random bytes; used when `random` is not given. */
  readonly rng?: () => Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly msecs?: number;
  /** 100-ns ticks added to `msecs` (0-9999). */
  readonly nsecs?: number;
}

/** Options of `v6`; the same as `v1`'s. */
export type Version6Options = Version1Options;

/** Options of `v4`: the random bytes to use instead of the pooled source. */
export interface Version4Options {
  /** 16 random bytes. */
  readonly random?: Uint8Array;
  /** Returns 16 random bytes. */
  readonly rng?: () => Uint8Array;
}

/** Options of `v7`: fixed fields for reproducible output (the monotonic state is bypassed). */
export interface Version7Options {
  /** 16 random bytes. */
  readonly random?: Uint8Array;
  /** Returns 16 random bytes. */
  readonly rng?: () => Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly msecs?: number;
  /** A 32-bit counter written into rand_a and the top of rand_b. */
  readonly seq?: number;
}

/**
 * The `uuid` package's name for a UUID as a string or bytes, so that code typed against `uuid` compiles unchanged.
 * @example
 * import type { UUIDTypes } from '@suite/uuid';
 * const ids: UUIDTypes[] = ['919108f7-52d1-4320-9bac-f847db4148a8', new Uint8Array(16)];
 */
export type UUIDTypes<TBuf extends Uint8Array = Uint8Array> = string | TBuf;

/** A Uint8Array over a plain (not shared) ArrayBuffer, written so that TypeScript before 5.7 reads it too. */
export type Bytes = ReturnType<typeof Uint8Array.of>;

/**
 * The type of `v3` and `v5`, as in the `uuid` package: a string, or the buffer given, written at `offset`; with the
 * RFC 9562 DNS and URL namespaces as properties.
 * @example
 * import { type NameBasedUuidFunction, v5 } from '@suite/uuid';
 * const make: NameBasedUuidFunction = v5;
 * make('www.example.com', make.DNS); // '2ed6657d-e927-568b-95e1-2665a8aea6a2'
 */
export interface NameBasedUuidFunction {
  (name: string | Uint8Array, namespace: UuidInput, buf?: undefined, offset?: number): string;
  <TBuf extends Uint8Array>(
    name: string | Uint8Array,
    namespace: UuidInput,
    buf: TBuf,
    offset?: number,
  ): TBuf;
  /** The DNS namespace, `6ba7b810-9dad-11d1-80b4-00c04fd430c8`. */
  readonly DNS: '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
  /** The URL namespace, `6ba7b811-9dad-11d1-80b4-00c04fd430c8`. */
  readonly URL: '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
}
