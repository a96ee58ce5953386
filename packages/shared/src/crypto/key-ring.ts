import { webCryptoAesGcm, type AesGcm } from "./aes-gcm.ts";
import { CryptoError } from "./crypto-error.ts";
import { KEY_ID_PATTERN } from "./envelope.ts";

/**
 * Name of the environment variable holding the key ring (see README.md, "Configuration").
 *
 */
export const KEY_RING_ENV = "TOKEN_ENCRYPTION_KEYS";

const ENTRY_FORM = '"<key id>:<64 hex characters>"';

/**
 * The encryption keys: the first (primary) encrypts, every key decrypts. Keys are non-extractable
 * `CryptoKey`s; the ring's enumerable properties and `toJSON` expose only key ids.
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#dfn-CryptoKey-extractable
 */
export class KeyRing {
  /** Id of the key new envelopes are encrypted with. */
  readonly primaryKeyId: string;
  /** Every key id, primary first. */
  readonly keyIds: readonly string[];
  readonly #aesGcm: AesGcm;
  readonly #keys: ReadonlyMap<string, CryptoKey>;

  /**
   * @param entries - `[key id, AES-256-GCM CryptoKey]` pairs, primary first; ids must be unique.
   * @param aesGcm - the implementation to use the keys with.
   * @throws CryptoError `key_ring_invalid` when empty, an id is malformed or repeated, or a key is not AES-GCM.
   */
  constructor(entries: ReadonlyArray<readonly [string, CryptoKey]>, aesGcm: AesGcm = webCryptoAesGcm) {
    if (entries.length === 0) throw new CryptoError("key_ring_invalid", "key ring must contain at least one key");
    const keys = new Map<string, CryptoKey>();
    for (const [keyId, key] of entries) {
      if (!KEY_ID_PATTERN.test(keyId)) {
        throw new CryptoError("key_ring_invalid", "key id must be 1 to 32 characters from [A-Za-z0-9_-]");
      }
      if (keys.has(keyId)) {
        throw new CryptoError("key_ring_invalid", `key id "${keyId}" appears more than once in the key ring`);
      }
      const algorithm = key.algorithm as Partial<AesKeyAlgorithm>;
      if (key.type !== "secret" || algorithm.name !== "AES-GCM" || algorithm.length !== 256) {
        throw new CryptoError("key_ring_invalid", `key "${keyId}" must be an AES-256-GCM key`);
      }
      keys.set(keyId, key);
    }
    this.#keys = keys;
    this.#aesGcm = aesGcm;
    this.keyIds = Object.freeze([...keys.keys()]);
    this.primaryKeyId = this.keyIds[0] as string;
  }

  /** The AES-256-GCM implementation the ring's keys are used with (WebCrypto unless the host gave another). */
  get aesGcm(): AesGcm {
    return this.#aesGcm;
  }

  /** Whether the ring holds a key with this id. */
  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** The non-extractable key for an id, or `undefined`. */
  key(keyId: string): CryptoKey | undefined {
    return this.#keys.get(keyId);
  }

  /** Only the ids; the keys themselves are never serialised. */
  toJSON(): { primaryKeyId: string; keyIds: readonly string[] } {
    return { primaryKeyId: this.primaryKeyId, keyIds: this.keyIds };
  }
}

/**
 * Parses `TOKEN_ENCRYPTION_KEYS` (`k2:<64 hex>,k1:<64 hex>`, primary first) and imports every key as a
 * non-extractable AES-256-GCM `CryptoKey`. Whitespace around entries is ignored.
 *
 * Error messages name the entry position or key id and never include key material.
 *
 * @param value - The raw variable value.
 * @param source - Name used in messages (defaults to {@link KEY_RING_ENV}).
 * @throws CryptoError `key_ring_invalid`.
 * @see https://www.w3.org/TR/WebCryptoAPI/#SubtleCrypto-method-importKey
 */
export async function parseKeyRing(value: string | undefined, source: string = KEY_RING_ENV, aesGcm?: AesGcm): Promise<KeyRing> {
  if (typeof value !== "string" || value.trim() === "") {
    throw new CryptoError("key_ring_invalid", `"${source}" is not set; expected ${ENTRY_FORM}[,...]`);
  }
  const seenIds = new Set<string>();
  const seenMaterial = new Map<string, string>();
  const parsed: Array<[string, Uint8Array<ArrayBuffer>]> = [];
  const entries = value.split(",");
  for (const [index, rawEntry] of entries.entries()) {
    const position = `"${source}" entry ${index + 1}`;
    const entry = rawEntry.trim();
    if (entry === "") throw new CryptoError("key_ring_invalid", `${position} is empty`);
    const colon = entry.indexOf(":");
    if (colon === -1) throw new CryptoError("key_ring_invalid", `${position} must have the form ${ENTRY_FORM}`);
    const keyId = entry.slice(0, colon).trim();
    const hex = entry.slice(colon + 1).trim();
    // The id is echoed only after it passed the pattern; a pasted key in the id slot is never repeated back.
    if (!KEY_ID_PATTERN.test(keyId)) {
      throw new CryptoError("key_ring_invalid", `${position} has an invalid key id: use 1 to 32 characters from [A-Za-z0-9_-]`);
    }
    if (seenIds.has(keyId)) {
      throw new CryptoError("key_ring_invalid", `key id "${keyId}" appears more than once in "${source}"`);
    }
    seenIds.add(keyId);
    if (hex.length !== 64) {
      throw new CryptoError(
        "key_ring_invalid",
        `key "${keyId}" in "${source}" must be 64 hexadecimal characters (256 bits), got ${hex.length}`,
      );
    }
    if (!/^[0-9A-Fa-f]{64}$/.test(hex)) {
      throw new CryptoError("key_ring_invalid", `key "${keyId}" in "${source}" must contain only hexadecimal characters`);
    }
    const normalized = hex.toLowerCase();
    const sameAs = seenMaterial.get(normalized);
    if (sameAs !== undefined) {
      throw new CryptoError("key_ring_invalid", `keys "${sameAs}" and "${keyId}" in "${source}" are the same key`);
    }
    seenMaterial.set(normalized, keyId);
    parsed.push([keyId, hexToBytes(normalized)]);
  }
  const imported = await Promise.all(
    parsed.map(async ([keyId, raw]) => {
      const key = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
      raw.fill(0);
      return [keyId, key] as const;
    }),
  );
  return new KeyRing(imported, aesGcm);
}

/**
 * Reads and parses {@link KEY_RING_ENV} from a plain environment record.
 *
 * @throws CryptoError `key_ring_invalid`.
 */
export function keyRingFromEnv(env: Readonly<Record<string, string | undefined>>, aesGcm?: AesGcm): Promise<KeyRing> {
  return parseKeyRing(env[KEY_RING_ENV], KEY_RING_ENV, aesGcm);
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
