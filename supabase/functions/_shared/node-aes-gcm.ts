// AES-256-GCM through node:crypto, which Deno and Supabase's edge runtime provide: synchronous, about 10 µs of
// CPU for a token against about 90 µs through Deno's crypto.subtle (which hands every call to a thread pool),
// the largest item of get-token's CPU profile. Same algorithm, IV, AAD and tag layout as WebCrypto's, so
// either decrypts what the other encrypted (packages/shared/src/crypto/aes-gcm.ts).
//
// The node key object is made from the ring's CryptoKey (KeyObject.from), never from the key text, and kept
// only in a WeakMap keyed by that CryptoKey. KeyObject.from accepts a non-extractable key in these runtimes,
// so this reaches nothing a holder of the CryptoKey could not. A key it cannot take goes through WebCrypto.
import { createCipheriv, createDecipheriv, KeyObject } from "node:crypto";
import { webCryptoAesGcm, type AesGcm } from "@shared/crypto/aes-gcm.ts";

const TAG_LENGTH = 16;
const nodeKeys = new WeakMap<CryptoKey, KeyObject | null>();

function nodeKeyOf(key: CryptoKey): KeyObject | null {
  let k = nodeKeys.get(key);
  if (k === undefined) {
    try {
      k = KeyObject.from(key);
      if (k.type !== "secret" || k.symmetricKeySize !== 32) k = null;
    } catch {
      k = null;
    }
    nodeKeys.set(key, k);
  }
  return k;
}

function concat(a: Uint8Array, b: Uint8Array, c?: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length + (c?.length ?? 0));
  out.set(a, 0);
  out.set(b, a.length);
  if (c) out.set(c, a.length + b.length);
  return out;
}

export const nodeAesGcm: AesGcm = {
  encrypt(key, iv, additionalData, plaintext) {
    const k = nodeKeyOf(key);
    if (!k) return webCryptoAesGcm.encrypt(key, iv, additionalData, plaintext);
    const cipher = createCipheriv("aes-256-gcm", k, iv, { authTagLength: TAG_LENGTH });
    cipher.setAAD(additionalData);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    return Promise.resolve(concat(head, tail, cipher.getAuthTag()));
  },
  decrypt(key, iv, additionalData, data) {
    const k = nodeKeyOf(key);
    if (!k) return webCryptoAesGcm.decrypt(key, iv, additionalData, data);
    try {
      if (data.length < TAG_LENGTH) throw new Error("ciphertext shorter than the tag");
      const decipher = createDecipheriv("aes-256-gcm", k, iv, { authTagLength: TAG_LENGTH });
      decipher.setAAD(additionalData);
      decipher.setAuthTag(data.subarray(data.length - TAG_LENGTH));
      const head = decipher.update(data.subarray(0, data.length - TAG_LENGTH));
      const tail = decipher.final();
      return Promise.resolve(tail.length === 0 ? head : concat(head, tail));
    } catch (err) {
      return Promise.reject(err);
    }
  },
};

/** Whether this runtime's node:crypto takes the key (tests). */
export const takesKey = (key: CryptoKey): boolean => nodeKeyOf(key) !== null;
