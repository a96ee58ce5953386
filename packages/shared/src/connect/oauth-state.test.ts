import { describe, expect, it } from "vitest";
import * as oauth from "oauth4webapi";
import { isWellFormedState, stateHashHex } from "./oauth-state.ts";

describe("oauth state", () => {
  it("hashes with SHA-256 (FIPS 180-4 test vector) into 64 hex characters", async () => {
    expect(await stateHashHex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const state = oauth.generateRandomState();
    expect(await stateHashHex(state)).toMatch(/^[0-9a-f]{64}$/);
    expect(await stateHashHex(state)).not.toBe(await stateHashHex(oauth.generateRandomState()));
  });

  it("accepts the states oauth-start issues and nothing shaped otherwise", () => {
    expect(isWellFormedState(oauth.generateRandomState())).toBe(true);
    for (const bad of [null, undefined, "", "short", "a".repeat(129), "x".repeat(40) + "'; drop", "x".repeat(40) + "="]) {
      expect(isWellFormedState(bad)).toBe(false);
    }
  });
});
