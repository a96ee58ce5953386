import { describe, expect, it } from "vitest";
import { parseKeyRing } from "../crypto/key-ring.ts";
import { HEX_K1 } from "../crypto/test-keys.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import { connectIdHashHex, connectIdRef, isWellFormedConnectId, newConnectId, openGrant, sealGrant } from "./parked-grant.ts";

const tokens: TokenSet = {
  accessToken: "at-secret",
  refreshToken: "rt-secret",
  refreshTokenRotated: false,
  tokenType: "Bearer",
  scopes: ["read", "write"],
  expiresAt: new Date("2026-12-02T10:00:00Z"),
  expiresAtAssumed: false,
  refreshTokenExpiresAt: new Date("2027-06-01T00:00:00Z"),
};

describe("connect ids", () => {
  it("are 256 random bits in base64url, each different", () => {
    const ids = new Set(Array.from({ length: 200 }, newConnectId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(isWellFormedConnectId(id)).toBe(true);
  });

  it("refuses anything not shaped like one", () => {
    for (const bad of [null, undefined, 42, {}, "", "short", "a".repeat(42), "a".repeat(44), `${"a".repeat(42)}=`, `${"a".repeat(42)}/`, `${"a".repeat(40)}%2f`]) {
      expect(isWellFormedConnectId(bad)).toBe(false);
    }
  });

  it("hash to SHA-256 hex; the log reference is short and not a prefix of the id or its hash", async () => {
    expect(await connectIdHashHex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const id = newConnectId();
    const ref = await connectIdRef(id);
    expect(ref).toMatch(/^[0-9a-f]{8}$/);
    expect(id.startsWith(ref)).toBe(false);
    expect((await connectIdHashHex(id)).startsWith(ref)).toBe(false);
  });
});

describe("sealed grants", () => {
  it("round-trip for their own row only", async () => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    const row = crypto.randomUUID();
    const sealed = await sealGrant(ring, row, tokens);
    expect(sealed).toMatch(/^v1\.k1\./);
    expect(sealed).not.toContain("secret");
    const opened = await openGrant(ring, row, sealed);
    expect(opened).toEqual(tokens);
    await expect(openGrant(ring, crypto.randomUUID(), sealed)).rejects.toThrow();
  });

  it("keep a grant without a refresh token as one", async () => {
    const ring = await parseKeyRing(`k1:${HEX_K1}`);
    const row = crypto.randomUUID();
    const { refreshToken: _rt, refreshTokenExpiresAt: _x, ...rest } = tokens;
    const opened = await openGrant(ring, row, await sealGrant(ring, row, { ...rest, refreshToken: undefined, expiresAtAssumed: true }));
    expect(opened.refreshToken).toBeUndefined();
    expect(opened.refreshTokenExpiresAt).toBeUndefined();
    expect(opened.expiresAtAssumed).toBe(true);
  });
});
