/**
 * AES-256-GCM on a ring's CryptoKey, synchronously through `node:crypto` where the runtime has it (Deno,
 * Node, Supabase's edge runtime), else through WebCrypto. Deno's `crypto.subtle` hands every call to a
 * blocking thread pool: about 90 µs of CPU for a 100-byte token, against about 10 µs here, and it was the
 * largest item of get-token's CPU profile. Same algorithm, IV, AAD and tag, so either side decrypts what the
 * other encrypted.
 *
 * The node key object is derived from the CryptoKey (`KeyObject.from`), never from the key text, and kept
 * only in a WeakMap keyed by that CryptoKey. `KeyObject.from` accepts a non-extractable key in these
 * runtimes, so this exposes nothing a holder of the CryptoKey could not already reach.
 *
 * @see https://nodejs.org/api/crypto.html#static-method-keyobjectfromkey
 * @see https://www.w3.org/TR/WebCryptoAPI/#aes-gcm-operations
 */
import { TAG_LENGTH } from "./envelope.ts";

type NodeCrypto = typeof import("node:crypto");
type NodeKey = import("node:crypto").KeyObject;

let nodeCrypto: Promise<NodeCrypto | null> | null = null;
const nodeKeys = new WeakMap<CryptoKey, NodeKey | null>();

/** Loads node:crypto once; null where the runtime has none (a browser) or `disable` says so (tests). */
function loadNodeCrypto(): Promise<NodeCrypto | null> {
  return (nodeCrypto ??= import("node:crypto").then((m) => (typeof m.createDecipheriv === "function" ? m : null), () => null));
}

async function nodeKeyOf(key: CryptoKey): Promise<{ c: NodeCrypto; k: NodeKey } | null> {
  if (!useNodeCrypto) return null;
  const c = await loadNodeCrypto();
  if (!c) return null;
  let k = nodeKeys.get(key);
  if (k === undefined) {
    try {
      k = c.KeyObject.from(key);
      if (k.type !== "secret" || k.symmetricKeySize !== 32) k = null;
    } catch {
      k = null;
    }
    nodeKeys.set(key, k);
  }
  return k ? { c, k } : null;
}

/** Which implementation serves this key here (for tests and the bench). */
export async function aesGcmPath(key: CryptoKey): Promise<"node" | "webcrypto"> {
  return (await nodeKeyOf(key)) ? "node" : "webcrypto";
}

let useNodeCrypto = true;
/** Tests only: forces the WebCrypto path (false) or restores the default (true). */
export function setNodeCryptoForTests(on: boolean): void {
  useNodeCrypto = on;
}

/** Ciphertext followed by the 16-byte tag, as WebCrypto returns it. */
export async function aesGcmEncrypt(key: CryptoKey, iv: Uint8Array<ArrayBuffer>, additionalData: Uint8Array<ArrayBuffer>, plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const fast = await nodeKeyOf(key);
  if (!fast) return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, plaintext));
  const cipher = fast.c.createCipheriv("aes-256-gcm", fast.k, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(additionalData);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(head.length + tail.length + tag.length);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(tag, head.length + tail.length);
  return out;
}

/** The plaintext bytes; throws (any error) when the tag does not authenticate. */
export async function aesGcmDecrypt(key: CryptoKey, iv: Uint8Array<ArrayBuffer>, additionalData: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const fast = await nodeKeyOf(key);
  if (!fast) return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, data));
  if (data.length < TAG_LENGTH) throw new Error("ciphertext shorter than the tag");
  const decipher = fast.c.createDecipheriv("aes-256-gcm", fast.k, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(additionalData);
  decipher.setAuthTag(data.subarray(data.length - TAG_LENGTH));
  const head = decipher.update(data.subarray(0, data.length - TAG_LENGTH));
  const tail = decipher.final();
  if (tail.length === 0) return head;
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}
