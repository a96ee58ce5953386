import { describe, expect, it } from "vitest";
import { ProviderGate } from "./provider-gate.ts";

function gate(now = { t: 0 }) {
  return {
    now,
    g: new ProviderGate({ overall: 3, perProvider: (p) => (p === "xero" ? 1 : 2), breakerThreshold: 3, breakerCooldownMs: 10_000, now: () => now.t }),
  };
}

describe("ProviderGate", () => {
  it("starts each provider with one call in flight, doubling after each success", async () => {
    const { g } = gate();
    const first = await g.admit("discord");
    let second = false;
    const pending = g.admit("discord").then((r) => { second = true; return r; });
    await Promise.resolve();
    expect(second).toBe(false);
    g.recordSuccess("discord");
    if (first.admitted) first.release();
    const r = await pending;
    expect(second && r.admitted).toBe(true);
    if (r.admitted) r.release();
  });

  it("bounds calls in flight per provider and overall", async () => {
    const { g } = gate();
    for (let i = 0; i < 4; i++) { g.recordSuccess("spotify"); g.recordSuccess("xero"); }
    const a = await g.admit("spotify");
    const b = await g.admit("spotify");
    let third = false;
    const pending = g.admit("spotify").then((r) => { third = true; return r; });
    await Promise.resolve();
    expect(third).toBe(false);
    const x = await g.admit("xero");
    expect(g.inFlight()).toBe(3);
    if (a.admitted) a.release();
    const c = await pending;
    expect(c.admitted && third).toBe(true);
    expect(g.inFlight("spotify")).toBe(2);
    for (const r of [b, c, x]) if (r.admitted) r.release();
    expect(g.inFlight()).toBe(0);
  });

  it("pauses only the provider that asked to wait", async () => {
    const { g, now } = gate();
    g.pause("discord", 5_000);
    expect(await g.admit("discord")).toEqual({ admitted: false, reason: "paused", retryAt: 5_000 });
    expect((await g.admit("spotify")).admitted).toBe(true);
    now.t = 5_001;
    expect((await g.admit("discord")).admitted).toBe(true);
  });

  it("opens the circuit after consecutive transient failures, then lets one trial through", async () => {
    const { g, now } = gate();
    for (let i = 0; i < 3; i++) g.recordTransient("google");
    expect(await g.admit("google")).toMatchObject({ admitted: false, reason: "circuit_open" });
    expect(g.openCircuits()).toEqual(["google"]);
    now.t = 10_001;
    const trial = await g.admit("google");
    expect(trial.admitted).toBe(true);
    expect(await g.admit("google")).toMatchObject({ admitted: false, reason: "circuit_open" });
    g.recordTransient("google");
    if (trial.admitted) trial.release();
    expect(await g.admit("google")).toMatchObject({ admitted: false, reason: "circuit_open" });
    now.t = 20_002;
    const trial2 = await g.admit("google");
    g.recordSuccess("google");
    if (trial2.admitted) trial2.release();
    expect((await g.admit("google")).admitted).toBe(true);
  });

  it("a success in between resets the count", async () => {
    const { g } = gate();
    g.recordTransient("twitch");
    g.recordTransient("twitch");
    g.recordSuccess("twitch");
    g.recordTransient("twitch");
    expect((await g.admit("twitch")).admitted).toBe(true);
  });
});
