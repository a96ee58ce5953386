/**
 * Stable codes of {@link CryptoError}.
 *
 * - `key_ring_invalid`: `TOKEN_ENCRYPTION_KEYS` is missing, malformed, too short, or has duplicates.
 * - `envelope_malformed`: the stored text is not a `v1.<kid>.<iv>.<ciphertext>` envelope.
 * - `decryption_failed`: the envelope does not authenticate (tampered, wrong row/column, unknown key id).
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm
 */
export const CRYPTO_ERROR_CODES = ["key_ring_invalid", "envelope_malformed", "decryption_failed"] as const;

/**
 * One of {@link CRYPTO_ERROR_CODES}.
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm
 */
export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/**
 * Error thrown by the encryption primitives. Its message and enumerable properties never contain key
 * material, plaintext or ciphertext; only key ids, positions and lengths.
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm
 */
export class CryptoError extends Error {
  /** Stable machine-readable code; branch on this, not on the message. */
  readonly code: CryptoErrorCode;

  /**
   * @param code - One of {@link CRYPTO_ERROR_CODES}.
   * @param message - Human-readable text free of secrets.
   */
  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.name = "CryptoError";
    this.code = code;
  }
}
