import { afterEach, describe, expect, it } from "vitest";
import { aesGcmDecrypt, aesGcmEncrypt, aesGcmPath, setNodeCryptoForTests } from "./aes-gcm.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const key = () => crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, ["encrypt", "decrypt"]);

afterEach(() => setNodeCryptoForTests(true));

describe("aesGcmEncrypt / aesGcmDecrypt", () => {
  it("interoperate with WebCrypto both ways, on a non-extractable key", async () => {
    const k = await key();
    expect(await aesGcmPath(k)).toBe("node");
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const aad = bytes("provider-tokens/aad/v1|public.t|c|1");
    const fast = await aesGcmEncrypt(k, iv, aad, bytes("at_secret_value"));
    const web = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, k, bytes("at_secret_value")));
    expect(fast).toEqual(web);
    expect(new TextDecoder().decode(await aesGcmDecrypt(k, iv, aad, web))).toBe("at_secret_value");
    setNodeCryptoForTests(false);
    expect(await aesGcmPath(k)).toBe("webcrypto");
    expect(await aesGcmEncrypt(k, iv, aad, bytes("at_secret_value"))).toEqual(web);
    expect(new TextDecoder().decode(await aesGcmDecrypt(k, iv, aad, fast))).toBe("at_secret_value");
  });

  it("refuse a changed tag, ciphertext or AAD on either path", async () => {
    const k = await key();
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const aad = bytes("row-1");
    const good = await aesGcmEncrypt(k, iv, aad, bytes("rt_secret"));
    for (const on of [true, false]) {
      setNodeCryptoForTests(on);
      const flipped = good.slice();
      flipped[flipped.length - 1]! ^= 1;
      await expect(aesGcmDecrypt(k, iv, aad, flipped)).rejects.toThrow();
      const body = good.slice();
      body[0]! ^= 1;
      await expect(aesGcmDecrypt(k, iv, aad, body)).rejects.toThrow();
      await expect(aesGcmDecrypt(k, iv, bytes("row-2"), good)).rejects.toThrow();
      await expect(aesGcmDecrypt(k, iv, aad, good.slice(0, 10))).rejects.toThrow();
    }
  });

  it("handle an empty plaintext", async () => {
    const k = await key();
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await aesGcmEncrypt(k, iv, bytes(""), bytes(""));
    expect(ct.length).toBe(16);
    expect((await aesGcmDecrypt(k, iv, bytes(""), ct)).length).toBe(0);
  });
});
