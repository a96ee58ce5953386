import { aadBytes, type AadContext } from "./aad.ts";
import { CryptoError } from "./crypto-error.ts";
import { parseEnvelope } from "./envelope.ts";
import type { KeyRing } from "./key-ring.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decrypts an envelope produced by `encryptSecret` with whichever ring key its key id names.
 *
 * @throws CryptoError `envelope_malformed` for text that is not an envelope; `key_unavailable` (with `keyId`)
 *   when the ring lacks the envelope's key; `decryption_failed` for a tampered envelope or an AAD (table,
 *   column, row) other than the one it was encrypted for.
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm-operations
 */
export async function decryptSecret(ring: KeyRing, envelope: string, aad: AadContext): Promise<string> {
  const additionalData = aadBytes(aad);
  const { keyId, iv, ciphertext } = parseEnvelope(envelope);
  const key = ring.key(keyId);
  if (key === undefined) {
    throw new CryptoError("key_unavailable", `envelope key id "${keyId}" is not in the key ring`, keyId);
  }
  let plaintext: Uint8Array;
  try {
    plaintext = await ring.aesGcm.decrypt(key, iv, additionalData, ciphertext);
  } catch {
    // WebCrypto reports every authentication failure the same way; so do we.
    throw new CryptoError(
      "decryption_failed",
      "envelope did not authenticate: it was altered, or belongs to another row or column",
    );
  }
  try {
    return utf8.decode(plaintext);
  } catch {
    throw new CryptoError("decryption_failed", "decrypted value is not valid UTF-8");
  }
}
