import { describe, expect, it } from "vitest";
import { CryptoError } from "./crypto-error.ts";
import { KeyRing, keyRingFromEnv, parseKeyRing } from "./key-ring.ts";
import { HEX_K1, HEX_K2 } from "./test-keys.ts";

function expectNoSecret(error: unknown, secrets: string[]): void {
  const e = error as Error;
  const surfaces = [e.message, String(e), e.stack ?? "", JSON.stringify(e), JSON.stringify(Object.entries(e))];
  for (const secret of secrets) {
    for (const surface of surfaces) {
      expect(surface.toLowerCase()).not.toContain(secret.toLowerCase());
      // A partial leak (e.g. the first half of a key) is a leak too.
      expect(surface.toLowerCase()).not.toContain(secret.slice(0, 16).toLowerCase());
    }
  }
}

async function rejection(value: string | undefined): Promise<CryptoError> {
  const error = await parseKeyRing(value).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CryptoError);
  expect((error as CryptoError).code).toBe("key_ring_invalid");
  return error as CryptoError;
}

describe("parseKeyRing", () => {
  it("makes the first key primary and keeps every id, in order", async () => {
    const ring = await parseKeyRing(`k2:${HEX_K2}, k1:${HEX_K1.toUpperCase()}`);
    expect(ring.primaryKeyId).toBe("k2");
    expect(ring.keyIds).toEqual(["k2", "k1"]);
    expect(ring.has("k1")).toBe(true);
    expect(ring.has("k3")).toBe(false);
  });

  it("imports non-extractable AES-256-GCM keys", async () => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    const key = ring.key("k1");
    expect(key?.extractable).toBe(false);
    expect(key?.algorithm).toMatchObject({ name: "AES-GCM", length: 256 });
    await expect(crypto.subtle.exportKey("raw", key as CryptoKey)).rejects.toThrow();
  });

  it("serialises to ids only", async () => {
    const ring = await parseKeyRing(`k2:${HEX_K2},k1:${HEX_K1}`);
    expect(JSON.parse(JSON.stringify(ring))).toEqual({ primaryKeyId: "k2", keyIds: ["k2", "k1"] });
    expect(Object.keys(ring).sort()).toEqual(["keyIds", "primaryKeyId"]);
  });

  it("reads TOKEN_ENCRYPTION_KEYS from an env record", async () => {
    const ring = await keyRingFromEnv({ TOKEN_ENCRYPTION_KEYS: `main_1:${HEX_K1}` });
    expect(ring.primaryKeyId).toBe("main_1");
  });

  it.each([
    [undefined, '"TOKEN_ENCRYPTION_KEYS" is not set'],
    ["", '"TOKEN_ENCRYPTION_KEYS" is not set'],
    ["   ", '"TOKEN_ENCRYPTION_KEYS" is not set'],
  ])("rejects a missing ring (%j)", async (value, message) => {
    expect((await rejection(value)).message).toContain(message);
  });

  it("rejects an entry without a key id, without echoing it", async () => {
    const error = await rejection(HEX_K1);
    expect(error.message).toContain("entry 1 must have the form");
    expectNoSecret(error, [HEX_K1]);
  });

  it("rejects an empty entry (trailing comma)", async () => {
    const error = await rejection(`k1:${HEX_K1},`);
    expect(error.message).toContain("entry 2 is empty");
  });

  it("rejects an invalid key id without echoing it", async () => {
    const error = await rejection(`${HEX_K2.slice(0, 40)}:${HEX_K1}`);
    expect(error.message).toContain("entry 1 has an invalid key id");
    expectNoSecret(error, [HEX_K1, HEX_K2]);
  });

  it("rejects a short key, naming the id and the length only", async () => {
    const error = await rejection(`k1:${HEX_K1.slice(0, 62)}`);
    expect(error.message).toBe('key "k1" in "TOKEN_ENCRYPTION_KEYS" must be 64 hexadecimal characters (256 bits), got 62');
    expectNoSecret(error, [HEX_K1.slice(0, 62)]);
  });

  it("rejects a long key", async () => {
    const error = await rejection(`k1:${HEX_K1}00`);
    expect(error.message).toContain("got 66");
  });

  it("rejects non-hex characters", async () => {
    const bad = `${HEX_K1.slice(0, 63)}g`;
    const error = await rejection(`k1:${bad}`);
    expect(error.message).toContain('key "k1" in "TOKEN_ENCRYPTION_KEYS" must contain only hexadecimal characters');
    expectNoSecret(error, [bad]);
  });

  it("rejects a duplicate key id", async () => {
    const error = await rejection(`k1:${HEX_K1},k1:${HEX_K2}`);
    expect(error.message).toBe('key id "k1" appears more than once in "TOKEN_ENCRYPTION_KEYS"');
    expectNoSecret(error, [HEX_K1, HEX_K2]);
  });

  it("rejects the same key material under two ids", async () => {
    const error = await rejection(`k2:${HEX_K1},k1:${HEX_K1.toUpperCase()}`);
    expect(error.message).toBe('keys "k2" and "k1" in "TOKEN_ENCRYPTION_KEYS" are the same key');
    expectNoSecret(error, [HEX_K1]);
  });

  it("names a custom source in messages", async () => {
    const error = (await parseKeyRing(undefined, "OTHER_KEYS").catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('"OTHER_KEYS" is not set');
  });
});

describe("KeyRing constructor", () => {
  it("rejects an empty ring and non-AES keys", async () => {
    expect(() => new KeyRing([])).toThrow(CryptoError);
    const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    expect(() => new KeyRing([["k1", hmac as CryptoKey]])).toThrow('key "k1" must be an AES-256-GCM key');
    const aes128 = await crypto.subtle.generateKey({ name: "AES-GCM", length: 128 }, false, ["encrypt", "decrypt"]);
    expect(() => new KeyRing([["k1", aes128 as CryptoKey]])).toThrow("AES-256-GCM");
  });
});
