/**
 * Stable codes of {@link CryptoError}.
 *
 * - `key_ring_invalid`: `TOKEN_ENCRYPTION_KEYS` is missing, malformed, too short, or has duplicates.
 * - `envelope_malformed`: the stored text is not a `v1.<kid>.<iv>.<ciphertext>` envelope.
 * - `decryption_failed`: the envelope does not authenticate (tampered, wrong row/column).
 * - `key_unavailable`: the envelope names a key id the ring does not hold (retired too early, or a ring from
 *   another deployment); {@link CryptoError.keyId} names it.
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm
 */
export const CRYPTO_ERROR_CODES = ["key_ring_invalid", "envelope_malformed", "decryption_failed", "key_unavailable"] as const;

/**
 * One of {@link CRYPTO_ERROR_CODES}.
 */
export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/**
 * Error thrown by the encryption primitives. Its message and enumerable properties never contain key
 * material, plaintext or ciphertext; only key ids, positions and lengths.
 */
export class CryptoError extends Error {
  /** Stable machine-readable code; branch on this, not on the message. */
  readonly code: CryptoErrorCode;
  /** For `key_unavailable`: the key id the envelope names (an id, never key material). */
  readonly keyId: string | undefined;

  /**
   * @param code - One of {@link CRYPTO_ERROR_CODES}.
   * @param message - Human-readable text free of secrets.
   * @param keyId - The key id concerned, for `key_unavailable`.
   */
  constructor(code: CryptoErrorCode, message: string, keyId?: string) {
    super(message);
    this.name = "CryptoError";
    this.code = code;
    this.keyId = keyId;
  }
}
