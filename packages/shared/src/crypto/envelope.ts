import { CryptoError } from "./crypto-error.ts";
import { decodeBase64Url, encodeBase64Url } from "./base64url.ts";

/**
 * Envelope format version written by this code.
 *
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 */
export const ENVELOPE_VERSION = "v1";

/**
 * AES-GCM IV length in bytes (96 bits, the size GCM is specified for).
 */
export const IV_LENGTH = 12;

/**
 * AES-GCM authentication tag length in bytes.
 */
export const TAG_LENGTH = 16;

/**
 * Pattern of a key id: 1 to 32 characters from `[A-Za-z0-9_-]`.
 */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The parts of an encrypted value as stored: `v1.<key id>.<iv base64url>.<ciphertext+tag base64url>`.
 */
export interface Envelope {
  readonly version: typeof ENVELOPE_VERSION;
  readonly keyId: string;
  readonly iv: Uint8Array<ArrayBuffer>;
  /** Ciphertext followed by the 16-byte GCM tag, as WebCrypto returns it. */
  readonly ciphertext: Uint8Array<ArrayBuffer>;
}

/**
 * Serialises an {@link Envelope} to its single-line text form.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function formatEnvelope(envelope: Envelope): string {
  return [envelope.version, envelope.keyId, encodeBase64Url(envelope.iv), encodeBase64Url(envelope.ciphertext)].join(
    ".",
  );
}

/**
 * Parses the text form of an envelope without decrypting it.
 *
 * @throws CryptoError `envelope_malformed` naming the part that is wrong.
 */
export function parseEnvelope(text: string): Envelope {
  if (typeof text !== "string") throw new CryptoError("envelope_malformed", '"envelope" must be a string');
  const parts = text.split(".");
  if (parts.length !== 4) {
    throw new CryptoError("envelope_malformed", 'envelope must have the form "v1.<key id>.<iv>.<ciphertext>"');
  }
  const [version, keyId, ivText, ciphertextText] = parts as [string, string, string, string];
  if (version !== ENVELOPE_VERSION) {
    throw new CryptoError("envelope_malformed", `envelope version must be "${ENVELOPE_VERSION}"`);
  }
  if (!KEY_ID_PATTERN.test(keyId)) throw new CryptoError("envelope_malformed", "envelope key id is malformed");
  const iv = decodePart(ivText, "iv");
  if (iv.length !== IV_LENGTH) throw new CryptoError("envelope_malformed", `envelope iv must be ${IV_LENGTH} bytes`);
  const ciphertext = decodePart(ciphertextText, "ciphertext");
  if (ciphertext.length < TAG_LENGTH) {
    throw new CryptoError("envelope_malformed", "envelope ciphertext is shorter than the authentication tag");
  }
  return { version, keyId, iv, ciphertext };
}

/**
 * The key id an envelope was encrypted with (what the database also keeps in its key-id column).
 *
 * @throws CryptoError `envelope_malformed`.
 */
export function keyIdOf(envelope: string): string {
  return parseEnvelope(envelope).keyId;
}

function decodePart(text: string, name: string): Uint8Array<ArrayBuffer> {
  try {
    return decodeBase64Url(text);
  } catch {
    throw new CryptoError("envelope_malformed", `envelope ${name} must be base64url`);
  }
}
