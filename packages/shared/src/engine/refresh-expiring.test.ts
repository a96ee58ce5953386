import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS, recordOutcome, schedulerGate } from "./refresh-expiring.ts";
import { fakeClock, T0 } from "./test-support.ts";
import { MISCONFIGURED_PAUSE_MS } from "./transitions.ts";

const failed = (code: string, extra: Record<string, unknown> = {}) =>
  ({ kind: "failed", code, retryAt: null, status: undefined, ...extra }) as Parameters<typeof recordOutcome>[2];

describe("the schedule's provider pauses, on an injected clock", () => {
  it("a provider-wide rate limit pauses the provider until its Retry-After; a connection's own limit does not", async () => {
    const clock = fakeClock();
    const gate = schedulerGate(DEFAULT_RUN_OPTIONS, clock.now);
    expect(recordOutcome(gate, "spotify", failed("rate_limited", { retryAfterMs: 90_000, rateLimitScope: "connection" }), clock.now))
      .toEqual({ counted: "failed" });
    expect(gate.blocked("spotify")).toBeNull();
    expect(recordOutcome(gate, "spotify", failed("rate_limited", { retryAfterMs: 90_000, rateLimitScope: "provider" }), clock.now))
      .toEqual({ counted: "failed", paused: true });
    expect(gate.blocked("spotify")).toEqual({ reason: "paused", retryAt: T0 + 90_000 });
    clock.advance(90_001);
    expect(gate.blocked("spotify")).toBeNull();
  });

  it("refused client credentials pause the provider for MISCONFIGURED_PAUSE_MS; a revoked grant pauses nothing", () => {
    const clock = fakeClock();
    const gate = schedulerGate(DEFAULT_RUN_OPTIONS, clock.now);
    expect(recordOutcome(gate, "discord", failed("reauth_required"), clock.now)).toEqual({ counted: "needs_reauth" });
    expect(gate.blocked("discord")).toBeNull();
    expect(recordOutcome(gate, "discord", failed("client_misconfigured"), clock.now)).toEqual({ counted: "failed", broken: true });
    expect(gate.blocked("discord")).toEqual({ reason: "paused", retryAt: T0 + MISCONFIGURED_PAUSE_MS });
    clock.advance(MISCONFIGURED_PAUSE_MS - 1);
    expect(gate.blocked("discord")?.reason).toBe("paused");
    clock.advance(2);
    expect(gate.blocked("discord")).toBeNull();
  });
});
