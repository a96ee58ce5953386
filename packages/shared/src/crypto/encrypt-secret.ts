import { aadBytes, type AadContext } from "./aad.ts";
import { ENVELOPE_VERSION, formatEnvelope, IV_LENGTH } from "./envelope.ts";
import type { KeyRing } from "./key-ring.ts";

/**
 * Encrypts a secret with the ring's primary key: AES-256-GCM, a fresh random 96-bit IV, and the row/column
 * AAD of {@link AadContext}. Returns the envelope text `v1.<kid>.<iv>.<ciphertext+tag>`.
 *
 * @throws TypeError when `plaintext` is not a string or `aad` is malformed.
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm-operations
 */
export async function encryptSecret(ring: KeyRing, plaintext: string, aad: AadContext): Promise<string> {
  if (typeof plaintext !== "string") throw new TypeError('"plaintext" must be a string');
  const additionalData = aadBytes(aad);
  const keyId = ring.primaryKeyId;
  const key = ring.key(keyId) as CryptoKey;
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const ciphertext = await ring.aesGcm.encrypt(key, iv, additionalData, new TextEncoder().encode(plaintext));
  return formatEnvelope({ version: ENVELOPE_VERSION, keyId, iv, ciphertext });
}
