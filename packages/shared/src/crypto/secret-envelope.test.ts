import { describe, expect, it } from "vitest";
import { CryptoError } from "./crypto-error.ts";
import { decryptSecret } from "./decrypt-secret.ts";
import { encryptSecret } from "./encrypt-secret.ts";
import { IV_LENGTH, keyIdOf, parseEnvelope, TAG_LENGTH } from "./envelope.ts";
import { parseKeyRing } from "./key-ring.ts";
import { needsReencryption, reencryptSecret } from "./reencrypt-secret.ts";
import { decodeBase64Url, encodeBase64Url } from "./base64url.ts";
import { HEX_K1, HEX_K2, HEX_K3 } from "./test-keys.ts";

const AAD = { table: "public.platform_connections", column: "refresh_token", rowId: "0b5c7a4e-1111-4d2e-9c3b-0f7a1c2d3e4f" };
const SECRET = "1//0gRT-very-secret-refresh-token";

async function failure(promise: Promise<unknown>): Promise<CryptoError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CryptoError);
  const e = error as CryptoError;
  for (const surface of [e.message, JSON.stringify(e), e.stack ?? ""]) {
    expect(surface).not.toContain(SECRET);
    expect(surface).not.toContain(HEX_K1);
    expect(surface).not.toContain(HEX_K2);
  }
  return e;
}

function tamper(envelope: string, part: 2 | 3, byteIndex: number): string {
  const parts = envelope.split(".");
  const bytes = decodeBase64Url(parts[part] as string);
  bytes[byteIndex] = (bytes[byteIndex] as number) ^ 0x01;
  parts[part] = encodeBase64Url(bytes);
  return parts.join(".");
}

describe("encryptSecret / decryptSecret", () => {
  it("round-trips, including non-ASCII text", async () => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    for (const value of [SECRET, "", "ключ-🔑"]) {
      const envelope = await encryptSecret(ring, value, AAD);
      expect(await decryptSecret(ring, envelope, AAD)).toBe(value);
    }
  });

  it("writes v1.<kid>.<96-bit iv>.<ciphertext+tag> and never the plaintext", async () => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    const envelope = await encryptSecret(ring, SECRET, AAD);
    expect(envelope).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(envelope).not.toContain(SECRET);
    const parsed = parseEnvelope(envelope);
    expect(parsed.iv).toHaveLength(IV_LENGTH);
    expect(parsed.ciphertext).toHaveLength(new TextEncoder().encode(SECRET).length + TAG_LENGTH);
    expect(keyIdOf(envelope)).toBe("k1");
  });

  it("uses a fresh IV for every value", async () => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    const envelopes = await Promise.all(Array.from({ length: 20 }, () => encryptSecret(ring, SECRET, AAD)));
    expect(new Set(envelopes.map((e) => e.split(".")[2])).size).toBe(20);
  });

  it("rejects a tampered ciphertext, tag or iv", async () => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    const envelope = await encryptSecret(ring, SECRET, AAD);
    const ctLength = decodeBase64Url(envelope.split(".")[3] as string).length;
    for (const bad of [tamper(envelope, 3, 0), tamper(envelope, 3, ctLength - 1), tamper(envelope, 2, 5)]) {
      const error = await failure(decryptSecret(ring, bad, AAD));
      expect(error.code).toBe("decryption_failed");
    }
  });

  it.each([
    ["another row", { ...AAD, rowId: "0b5c7a4e-1111-4d2e-9c3b-0f7a1c2d3e40" }],
    ["another column", { ...AAD, column: "access_token" }],
    ["another table", { ...AAD, table: "public.other" }],
  ])("does not decrypt a value moved to %s", async (_label, otherAad) => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    const envelope = await encryptSecret(ring, SECRET, AAD);
    const error = await failure(decryptSecret(ring, envelope, otherAad));
    expect(error.code).toBe("decryption_failed");
    expect(error.message).toContain("another row or column");
  });

  it("reports an unknown key id as key_unavailable, naming the id", async () => {
    const writer = await parseKeyRing(`k9:${HEX_K3}`);
    const reader = await parseKeyRing(`k1:${HEX_K1}`);
    const envelope = await encryptSecret(writer, SECRET, AAD);
    const error = await failure(decryptSecret(reader, envelope, AAD));
    expect(error.code).toBe("key_unavailable");
    expect(error.keyId).toBe("k9");
    expect(error.message).toBe('envelope key id "k9" is not in the key ring');
  });

  it("rejects a key id swapped inside the envelope", async () => {
    const ring = await parseKeyRing(`k2:${HEX_K2},k1:${HEX_K1}`);
    const envelope = await encryptSecret(ring, SECRET, AAD);
    const error = await failure(decryptSecret(ring, envelope.replace("v1.k2.", "v1.k1."), AAD));
    expect(error.code).toBe("decryption_failed");
  });

  it.each([
    ["not an envelope", "plaintext-token", "envelope must have the form"],
    ["wrong version", "v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", 'envelope version must be "v1"'],
    ["bad key id", "v1.k!1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", "envelope key id is malformed"],
    ["short iv", "v1.k1.AAAA.AAAAAAAAAAAAAAAAAAAAAA", "envelope iv must be 12 bytes"],
    ["iv not base64url", "v1.k1.AAAA+AAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", "envelope iv must be base64url"],
    ["short ciphertext", "v1.k1.AAAAAAAAAAAAAAAA.AAAA", "shorter than the authentication tag"],
  ])("rejects a malformed envelope (%s)", async (_label, envelope, message) => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    const error = await failure(decryptSecret(ring, envelope, AAD));
    expect(error.code).toBe("envelope_malformed");
    expect(error.message).toContain(message);
  });

  it("validates arguments with messages naming the field", async () => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    await expect(encryptSecret(ring, 42 as never, AAD)).rejects.toThrow('"plaintext" must be a string');
    await expect(encryptSecret(ring, SECRET, { ...AAD, rowId: "" })).rejects.toThrow('"aad.rowId"');
  });
});

describe("key rotation", () => {
  it("decrypts old envelopes, encrypts new ones with the new primary, and re-encrypts", async () => {
    const before = await parseKeyRing(`k1:${HEX_K1}`);
    const oldEnvelope = await encryptSecret(before, SECRET, AAD);

    const rotated = await parseKeyRing(`k2:${HEX_K2},k1:${HEX_K1}`);
    expect(await decryptSecret(rotated, oldEnvelope, AAD)).toBe(SECRET);
    expect(needsReencryption(rotated, oldEnvelope)).toBe(true);

    const fresh = await encryptSecret(rotated, SECRET, AAD);
    expect(keyIdOf(fresh)).toBe("k2");
    expect(needsReencryption(rotated, fresh)).toBe(false);

    const migrated = await reencryptSecret(rotated, oldEnvelope, AAD);
    expect(keyIdOf(migrated)).toBe("k2");
    expect(migrated).not.toBe(oldEnvelope);
    expect(await decryptSecret(rotated, migrated, AAD)).toBe(SECRET);

    // Once k1 is retired, only the migrated envelope still opens.
    const retired = await parseKeyRing(`k2:${HEX_K2}`);
    expect(await decryptSecret(retired, migrated, AAD)).toBe(SECRET);
    expect((await failure(decryptSecret(retired, oldEnvelope, AAD))).code).toBe("key_unavailable");
  });

  it("returns an envelope already under the primary key unchanged, after authenticating it", async () => {
    const ring = await parseKeyRing(`k2:${HEX_K2},k1:${HEX_K1}`);
    const envelope = await encryptSecret(ring, SECRET, AAD);
    expect(await reencryptSecret(ring, envelope, AAD)).toBe(envelope);
    const error = await failure(reencryptSecret(ring, envelope, { ...AAD, column: "access_token" }));
    expect(error.code).toBe("decryption_failed");
  });

  it("keeps the row binding when re-encrypting", async () => {
    const before = await parseKeyRing(`k1:${HEX_K1}`);
    const rotated = await parseKeyRing(`k2:${HEX_K2},k1:${HEX_K1}`);
    const migrated = await reencryptSecret(rotated, await encryptSecret(before, SECRET, AAD), AAD);
    expect((await failure(decryptSecret(rotated, migrated, { ...AAD, rowId: "other" }))).code).toBe("decryption_failed");
  });
});
