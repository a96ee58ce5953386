// Table-driven rather than btoa/atob over a binary string: get-token decodes two parts of an envelope per call,
// and the string round trip (plus re-encoding to prove the input canonical) was a visible share of its CPU.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes bytes as unpadded base64url.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

function valueAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const v = c < 128 ? VALUES[c]! : -1;
  if (v < 0) throw new TypeError("value must be unpadded base64url");
  return v;
}

/**
 * Decodes unpadded base64url. Rejects padding, characters outside the alphabet and non-canonical input (a
 * last character whose unused bits are not zero), so one byte string has exactly one textual form.
 *
 * @throws TypeError when `text` is not canonical unpadded base64url.
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-3.5
 */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const rest = text.length % 4;
  if (rest === 1) throw new TypeError("value must be unpadded base64url");
  const full = text.length - rest;
  const bytes = new Uint8Array((full / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const n = (valueAt(text, i) << 18) | (valueAt(text, i + 1) << 12) | (valueAt(text, i + 2) << 6) | valueAt(text, i + 3);
    bytes[o++] = n >>> 16;
    bytes[o++] = (n >>> 8) & 255;
    bytes[o++] = n & 255;
  }
  if (rest === 2) {
    const a = valueAt(text, full);
    const b = valueAt(text, full + 1);
    // Unused trailing bits would let two strings decode to the same bytes; envelopes stay unique.
    if ((b & 15) !== 0) throw new TypeError("value must be canonical base64url");
    bytes[o] = (a << 2) | (b >>> 4);
  } else if (rest === 3) {
    const a = valueAt(text, full);
    const b = valueAt(text, full + 1);
    const c = valueAt(text, full + 2);
    if ((c & 3) !== 0) throw new TypeError("value must be canonical base64url");
    bytes[o++] = (a << 2) | (b >>> 4);
    bytes[o] = ((b & 15) << 4) | (c >>> 2);
  }
  return bytes;
}
