import { describe, expect, it } from "vitest";
import { webCryptoAesGcm } from "@shared/crypto/aes-gcm.ts";
import { nodeAesGcm, takesKey } from "./node-aes-gcm.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const key = () => crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, ["encrypt", "decrypt"]);
const iv = () => crypto.getRandomValues(new Uint8Array(12));

describe("nodeAesGcm", () => {
  it("takes a non-extractable ring key, and interoperates with WebCrypto both ways", async () => {
    const k = await key();
    expect(takesKey(k)).toBe(true);
    const n = iv();
    const aad = bytes("provider-tokens/aad/v1|public.t|c|1");
    const fast = await nodeAesGcm.encrypt(k, n, aad, bytes("at_secret_value"));
    const web = await webCryptoAesGcm.encrypt(k, n, aad, bytes("at_secret_value"));
    expect(fast).toEqual(web);
    expect(new TextDecoder().decode(await nodeAesGcm.decrypt(k, n, aad, web))).toBe("at_secret_value");
    expect(new TextDecoder().decode(await webCryptoAesGcm.decrypt(k, n, aad, fast))).toBe("at_secret_value");
  });

  it("refuses a changed tag, ciphertext or AAD, and a ciphertext shorter than the tag", async () => {
    const k = await key();
    const n = iv();
    const aad = bytes("row-1");
    const good = await nodeAesGcm.encrypt(k, n, aad, bytes("rt_secret"));
    const flipped = good.slice();
    flipped[flipped.length - 1]! ^= 1;
    await expect(nodeAesGcm.decrypt(k, n, aad, flipped)).rejects.toThrow();
    const body = good.slice();
    body[0]! ^= 1;
    await expect(nodeAesGcm.decrypt(k, n, aad, body)).rejects.toThrow();
    await expect(nodeAesGcm.decrypt(k, n, bytes("row-2"), good)).rejects.toThrow();
    await expect(nodeAesGcm.decrypt(k, n, aad, good.slice(0, 10))).rejects.toThrow();
  });

  it("handles an empty plaintext", async () => {
    const k = await key();
    const n = iv();
    const ct = await nodeAesGcm.encrypt(k, n, bytes(""), bytes(""));
    expect(ct.length).toBe(16);
    expect((await nodeAesGcm.decrypt(k, n, bytes(""), ct)).length).toBe(0);
  });

  it("sends a key node:crypto cannot take through WebCrypto", async () => {
    const k128 = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(16)), "AES-GCM", false, ["encrypt", "decrypt"]);
    expect(takesKey(k128)).toBe(false);
    const n = iv();
    const ct = await nodeAesGcm.encrypt(k128, n, bytes("a"), bytes("x"));
    expect(new TextDecoder().decode(await webCryptoAesGcm.decrypt(k128, n, bytes("a"), ct))).toBe("x");
  });
});
