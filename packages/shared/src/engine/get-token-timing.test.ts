import { describe, expect, it } from "vitest";
import { EngineError } from "./engine-error.ts";
import { createTokenService, REFRESH_WINDOW_MS, WAIT_FOR_REFRESH_MS } from "./get-token.ts";
import { connectedRow, fakeClock, fakeEngine, fakeProvider, T0, tokenAnswer, USER } from "./test-support.ts";

const request = { userId: USER, provider: "spotify" };
const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as EngineError;
  }
  throw new Error("expected a refusal");
};

describe("get-token's decisions, on an injected clock", () => {
  it("serves the stored token until the refresh window, refreshes inside it", async () => {
    const clock = fakeClock();
    const expiresAt = T0 + 10 * 60_000;
    const provider = fakeProvider(tokenAnswer("at-2"));
    const { deps, ring, store } = await fakeEngine(clock, provider.fetch);
    const row = await connectedRow(ring, expiresAt);
    store.rows.set(row.id, row);
    const getToken = createTokenService(deps);

    clock.set(expiresAt - REFRESH_WINDOW_MS - 1_000);
    expect((await getToken(request)).access_token).toBe("at-1");
    expect(provider.calls).toHaveLength(0);

    // Inside the window but still valid: this caller gets the valid token, and one refresh runs.
    clock.set(expiresAt - REFRESH_WINDOW_MS + 1_000);
    const served = await getToken(request);
    expect(served.access_token === "at-1" || served.access_token === "at-2").toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(provider.calls).toHaveLength(1);
    // The saved token expires an hour after the clock's now, not the machine's.
    const next = await getToken(request);
    expect(next.access_token).toBe("at-2");
    expect(next.expires_at).toBe(new Date(expiresAt - REFRESH_WINDOW_MS + 1_000 + 3_600_000).toISOString());
  });

  it("refreshes an expired token before answering", async () => {
    const clock = fakeClock();
    const provider = fakeProvider(tokenAnswer("at-2", 600));
    const { deps, ring, store } = await fakeEngine(clock, provider.fetch);
    const row = await connectedRow(ring, T0 - 1_000);
    store.rows.set(row.id, row);
    const t = await createTokenService(deps)(request);
    expect(t.access_token).toBe("at-2");
    expect(t.expires_at).toBe(new Date(T0 + 600_000).toISOString());
    expect(store.rows.get(row.id)!.version).toBe("2");
  });

  it("does not call the provider for a connection in backoff; answers 503 until its next attempt, then refreshes", async () => {
    const clock = fakeClock();
    const provider = fakeProvider(tokenAnswer("at-2"));
    const { deps, ring, store } = await fakeEngine(clock, provider.fetch);
    const row = await connectedRow(ring, T0 - 1_000, { consecutive_failures: 1, last_sync_status: "transient", next_attempt_at: new Date(T0 + 30_000) });
    store.rows.set(row.id, row);
    const getToken = createTokenService(deps);

    const err = await refusal(getToken(request));
    expect(err).toBeInstanceOf(EngineError);
    expect([err.code, err.retryAfterMs]).toEqual(["provider_unavailable", 30_000]);
    clock.advance(20_000);
    expect((await refusal(getToken(request))).retryAfterMs).toBe(10_000);
    expect(provider.calls).toHaveLength(0);

    clock.advance(10_001);
    expect((await getToken(request)).access_token).toBe("at-2");
    expect(provider.calls).toHaveLength(1);
  });

  it("serves a still-valid token during backoff, without calling the provider", async () => {
    const clock = fakeClock();
    const provider = fakeProvider(tokenAnswer("at-2"));
    const { deps, ring, store } = await fakeEngine(clock, provider.fetch);
    const row = await connectedRow(ring, T0 + 30_000, { consecutive_failures: 2, last_sync_status: "transient", next_attempt_at: new Date(T0 + 120_000) });
    store.rows.set(row.id, row);
    expect((await createTokenService(deps)(request)).access_token).toBe("at-1");
    expect(provider.calls).toHaveLength(0);
  });

  it("waits for another instance's lease no longer than WAIT_FOR_REFRESH_MS of the clock", async () => {
    const clock = fakeClock();
    const provider = fakeProvider(tokenAnswer("at-2"));
    const { deps, ring, store } = await fakeEngine(clock, provider.fetch);
    const row = await connectedRow(ring, T0 - 1_000, { lease_owner: "other", lease_expires_at: new Date(T0 + 45_000) });
    store.rows.set(row.id, row);
    // Each failed lease attempt costs the waiter 4 s of the clock.
    store.onCall = (fn) => fn === "acquire_refresh_lease" && clock.advance(4_000);
    const err = await refusal(createTokenService(deps)(request));
    expect([err.code, err.message, err.retryAfterMs]).toEqual(["provider_unavailable", "another instance is still refreshing this token", 5_000]);
    const attempts = store.calls.filter((c) => c.fn === "acquire_refresh_lease").length;
    expect(attempts).toBe(Math.floor(WAIT_FOR_REFRESH_MS / 4_000) + 1);
    expect(provider.calls).toHaveLength(0);
  });

  it("takes over a lease that lapsed by the clock, and leases for leaseSeconds", async () => {
    const clock = fakeClock();
    const provider = fakeProvider(tokenAnswer("at-2"));
    const { deps, ring, store } = await fakeEngine(clock, provider.fetch);
    const row = await connectedRow(ring, T0 - 1_000, { lease_owner: "crashed", lease_expires_at: new Date(T0 - 1) });
    store.rows.set(row.id, row);
    expect((await createTokenService({ ...deps, leaseSeconds: 30 })(request)).access_token).toBe("at-2");
    expect(store.calls.find((c) => c.fn === "acquire_refresh_lease")!.params[2]).toBe(30);
  });

  it("answers a provider's Retry-After as the time left on the clock", async () => {
    const clock = fakeClock();
    const provider = fakeProvider(() => new Response("slow down", { status: 429, headers: { "retry-after": "120" } }));
    const { deps, ring, store } = await fakeEngine(clock, provider.fetch);
    const row = await connectedRow(ring, T0 - 1_000);
    store.rows.set(row.id, row);
    const err = await refusal(createTokenService(deps)(request));
    expect([err.code, err.retryAfterMs]).toEqual(["provider_unavailable", 120_000]);
    expect(store.rows.get(row.id)!.next_attempt_at).toEqual(new Date(T0 + 120_000));
  });
});
