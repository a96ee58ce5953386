import { describe, expect, it } from "vitest";
import { inBackoff } from "./get-token.ts";

const NOW = new Date("2026-12-02T12:00:00Z");
const at = (s: number) => new Date(NOW.getTime() + s * 1000);

describe("inBackoff", () => {
  it("holds a failed connection until its next attempt", () => {
    expect(inBackoff({ next_attempt_at: at(30), consecutive_failures: 1, last_sync_status: "transient" }, NOW)).toBe(true);
    expect(inBackoff({ next_attempt_at: at(900), consecutive_failures: 0, last_sync_status: "client_misconfigured" }, NOW)).toBe(true);
  });

  it("lets it go once the next attempt is due", () => {
    expect(inBackoff({ next_attempt_at: at(0), consecutive_failures: 3, last_sync_status: "transient" }, NOW)).toBe(false);
    expect(inBackoff({ next_attempt_at: at(-1), consecutive_failures: 3, last_sync_status: "rate_limited" }, NOW)).toBe(false);
  });

  it("does not count a keep-alive or validation date (no failure) as backoff", () => {
    expect(inBackoff({ next_attempt_at: at(86_400), consecutive_failures: 0, last_sync_status: "ok" }, NOW)).toBe(false);
    expect(inBackoff({ next_attempt_at: at(86_400), consecutive_failures: 0, last_sync_status: null }, NOW)).toBe(false);
    expect(inBackoff({ next_attempt_at: null, consecutive_failures: 5, last_sync_status: "transient" }, NOW)).toBe(false);
    expect(inBackoff({ consecutive_failures: 5, last_sync_status: "transient" }, NOW)).toBe(false);
  });
});
