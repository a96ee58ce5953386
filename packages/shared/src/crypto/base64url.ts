/**
 * Encodes bytes as unpadded base64url.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Decodes unpadded base64url. Rejects padding, characters outside the alphabet and non-canonical input, so
 * one byte string has exactly one textual form.
 *
 * @throws TypeError when `text` is not canonical unpadded base64url.
 */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new TypeError("value must be unpadded base64url");
  }
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Unused trailing bits would let two strings decode to the same bytes; envelopes stay unique.
  if (encodeBase64Url(bytes) !== text) throw new TypeError("value must be canonical base64url");
  return bytes;
}
