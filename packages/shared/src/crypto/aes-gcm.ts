/**
 * AES-256-GCM as the envelopes use it: a 96-bit IV, the row/column AAD, and the ciphertext followed by the
 * 16-byte tag (WebCrypto's layout). The key ring carries the implementation; WebCrypto is the default, and a
 * host may supply a faster one of the same algorithm (the Edge Functions' runtime does:
 * supabase/functions/_shared/node-aes-gcm.ts). Either decrypts what the other encrypted.
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm-operations
 */
export interface AesGcm {
  /** Ciphertext followed by the 16-byte tag. */
  encrypt(key: CryptoKey, iv: Uint8Array<ArrayBuffer>, additionalData: Uint8Array<ArrayBuffer>, plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>>;
  /** The plaintext bytes; rejects (with any error) when the tag does not authenticate. */
  decrypt(key: CryptoKey, iv: Uint8Array<ArrayBuffer>, additionalData: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
}

export const webCryptoAesGcm: AesGcm = {
  encrypt: async (key, iv, additionalData, plaintext) =>
    new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, plaintext)),
  decrypt: async (key, iv, additionalData, data) =>
    new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, data)),
};
