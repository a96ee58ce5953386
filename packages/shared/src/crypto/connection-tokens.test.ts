import { describe, expect, it } from "vitest";
import { parseKeyRing } from "./key-ring.ts";
import { carryRefreshToken, decryptConnectionToken, encryptConnectionTokens } from "./connection-tokens.ts";

const K1 = "k1:" + "11".repeat(32);
const K2 = "k2:" + "22".repeat(32);
const ROW = "2b7f7a43-8f44-4b5c-9d55-3a4f1c0f9e11";
const OTHER = "2b7f7a43-8f44-4b5c-9d55-3a4f1c0f9e12";

describe("connection tokens", () => {
  it("round-trips both tokens bound to their row and column", async () => {
    const ring = await parseKeyRing(K1);
    const enc = await encryptConnectionTokens(ring, ROW, { accessToken: "at-value", refreshToken: "rt-value" });
    expect(enc.keyId).toBe("k1");
    expect(await decryptConnectionToken(ring, ROW, "access_token", enc.accessToken)).toBe("at-value");
    expect(await decryptConnectionToken(ring, ROW, "refresh_token", enc.refreshToken!)).toBe("rt-value");
    await expect(decryptConnectionToken(ring, OTHER, "access_token", enc.accessToken)).rejects.toThrow();
    await expect(decryptConnectionToken(ring, ROW, "refresh_token", enc.accessToken)).rejects.toThrow();
  });

  it("stores no refresh token when there is none", async () => {
    const ring = await parseKeyRing(K1);
    expect((await encryptConnectionTokens(ring, ROW, { accessToken: "at" })).refreshToken).toBeNull();
  });

  it("carries a kept refresh token over to the new primary key", async () => {
    const old = await parseKeyRing(K1);
    const enc = await encryptConnectionTokens(old, ROW, { accessToken: "at", refreshToken: "rt" });
    const rotated = await parseKeyRing(`${K2},${K1}`);
    const carried = await carryRefreshToken(rotated, ROW, enc.refreshToken!);
    expect(carried.split(".")[1]).toBe("k2");
    expect(await decryptConnectionToken(rotated, ROW, "refresh_token", carried)).toBe("rt");
    expect(await carryRefreshToken(rotated, ROW, carried)).toBe(carried);
  });
});
