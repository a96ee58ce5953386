import { describe, expect, it } from "vitest";
import { testProvider } from "../oauth/test-support.ts";
import { tokenSetFromFields } from "../oauth/token-set.ts";
import { connectionTiming } from "./connection-timing.ts";

const now = new Date("2026-11-23T12:00:00Z");
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const set = (id: Parameters<typeof testProvider>[0], fields: Record<string, unknown>) =>
  tokenSetFromFields(testProvider(id), { access_token: "at", ...fields }, { operation: "exchange", now });

describe("connectionTiming", () => {
  it("schedules a validation, not a refresh, for a token that never expires", () => {
    const timing = connectionTiming(testProvider("github"), set("github", {}), now);
    expect(timing).toEqual({ tokenExpiresAt: null, nextAttemptAt: at(86_400), refreshTokenExpiresAt: null });
    expect(connectionTiming(testProvider("shopify"), set("shopify", {}), now).nextAttemptAt).toEqual(at(86_400));
  });

  it("keeps the stated expiry otherwise", () => {
    expect(connectionTiming(testProvider("github"), set("github", { expires_in: 28_800, refresh_token: "rt", refresh_token_expires_in: 100 }), now))
      .toEqual({ tokenExpiresAt: at(28_800), nextAttemptAt: null, refreshTokenExpiresAt: at(100) });
    // A provider whose tokens always expire gets the assumed hour, not a validation.
    expect(connectionTiming(testProvider("discord"), set("discord", {}), now)).toMatchObject({ tokenExpiresAt: at(3600), nextAttemptAt: null });
  });

  it("falls back to the catalog's refresh-token cap from consent", () => {
    expect(connectionTiming(testProvider("spotify"), set("spotify", { expires_in: 3600, refresh_token: "rt" }), now).refreshTokenExpiresAt)
      .toEqual(at(180 * 86_400));
    expect(connectionTiming(testProvider("spotify"), set("spotify", { expires_in: 3600 }), now).refreshTokenExpiresAt).toBeNull();
  });

  it("brings a long-lived token back in time to keep an idle refresh token alive", () => {
    const long = set("github", { expires_in: 30 * 86_400, refresh_token: "rt" });
    expect(connectionTiming(testProvider("github"), long, now, 7).nextAttemptAt).toEqual(at(7 * 86_400));
    expect(connectionTiming(testProvider("github"), set("github", { expires_in: 28_800, refresh_token: "rt" }), now).nextAttemptAt).toBeNull();
  });
});
