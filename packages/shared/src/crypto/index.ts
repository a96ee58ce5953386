/**
 * Encryption of tokens at rest: AES-256-GCM envelopes bound to their row and column, under a rotating key ring.
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm
 */
export { aadBytes, aadString, type AadContext } from "./aad.ts";
export { CRYPTO_ERROR_CODES, CryptoError, type CryptoErrorCode } from "./crypto-error.ts";
export { decryptSecret } from "./decrypt-secret.ts";
export { encryptSecret } from "./encrypt-secret.ts";
export {
  ENVELOPE_VERSION,
  formatEnvelope,
  IV_LENGTH,
  KEY_ID_PATTERN,
  keyIdOf,
  parseEnvelope,
  TAG_LENGTH,
  type Envelope,
} from "./envelope.ts";
export { KEY_RING_ENV, KeyRing, keyRingFromEnv, parseKeyRing } from "./key-ring.ts";
export { needsReencryption, reencryptSecret } from "./reencrypt-secret.ts";
