import { describe, expect, it } from "vitest";
import { MIN_RATE_LIMIT_DELAY_MS } from "../oauth/classify-provider-failure.ts";
import { acquireLease } from "./connection-store.ts";
import { MISCONFIGURED_PAUSE_MS } from "./transitions.ts";
import { MIN_RETRY_MS, refreshLeased, RETRY_BACKOFF } from "./refresh-leased.ts";
import { connectedRow, fakeClock, fakeEngine, fakeProvider, T0, tokenAnswer, type FakeRow } from "./test-support.ts";

/** One leased refresh of a connection with `failures` failures so far, the provider answering `answer`. */
async function refreshOnce(answer: () => Response, row: Partial<FakeRow> = {}) {
  const clock = fakeClock();
  const provider = fakeProvider(answer);
  const { deps, ring, store } = await fakeEngine(clock, provider.fetch);
  const r = await connectedRow(ring, T0 - 1_000, row);
  store.rows.set(r.id, r);
  const leased = (await acquireLease(deps.sql, r.id, "me", 45))!;
  const outcome = await refreshLeased(deps, leased, "me");
  return { outcome, row: store.rows.get(r.id)!, clock, store };
}

const unavailable = () => new Response("down", { status: 503 });

describe("the leased refresh's retry dates, on an injected clock", () => {
  it("a transient failure backs off with full jitter, never sooner than MIN_RETRY_MS, the window doubling per failure", async () => {
    for (const [failures, ceiling] of [[0, RETRY_BACKOFF.baseMs], [3, RETRY_BACKOFF.baseMs * 8], [20, RETRY_BACKOFF.capMs]] as const) {
      for (let i = 0; i < 5; i++) {
        const { outcome, row } = await refreshOnce(unavailable, { consecutive_failures: failures });
        expect(outcome).toMatchObject({ kind: "failed", code: "transient" });
        const wait = row.next_attempt_at!.getTime() - T0;
        expect(wait).toBeGreaterThanOrEqual(MIN_RETRY_MS);
        expect(wait).toBeLessThanOrEqual(ceiling);
        expect(row.consecutive_failures).toBe(failures + 1);
        expect(row.lease_expires_at).toBeNull();
      }
    }
  });

  it("a rate limit waits the provider's Retry-After from the clock's now, and never less than the classifier's floor", async () => {
    const zero = await refreshOnce(() => new Response("", { status: 429, headers: { "retry-after": "0" } }));
    expect(zero.row.next_attempt_at).toEqual(new Date(T0 + MIN_RATE_LIMIT_DELAY_MS));
    const seconds = await refreshOnce(() => new Response("", { status: 429, headers: { "retry-after": "90" } }));
    expect(seconds.row.next_attempt_at).toEqual(new Date(T0 + 90_000));
    expect(seconds.outcome).toMatchObject({ kind: "failed", code: "rate_limited", retryAt: new Date(T0 + 90_000) });
    const date = await refreshOnce(() => new Response("", { status: 429, headers: { "retry-after": new Date(T0 + 120_000).toUTCString() } }));
    expect(date.row.next_attempt_at).toEqual(new Date(T0 + 120_000));
  });

  it("refused client credentials pause the connection for MISCONFIGURED_PAUSE_MS, without counting against the user", async () => {
    const { row, outcome } = await refreshOnce(() => Response.json({ error: "invalid_client" }, { status: 401 }));
    expect(outcome).toMatchObject({ kind: "failed", code: "client_misconfigured" });
    expect(row.next_attempt_at).toEqual(new Date(T0 + MISCONFIGURED_PAUSE_MS));
    expect(row.status).toBe("connected");
  });

  it("a revoked grant needs the user, with no retry date", async () => {
    const { row, outcome } = await refreshOnce(() => Response.json({ error: "invalid_grant" }, { status: 400 }));
    expect(outcome).toMatchObject({ kind: "failed", code: "reauth_required", retryAt: null });
    expect([row.status, row.next_attempt_at]).toEqual(["needs_reauth", null]);
  });

  it("a saved refresh writes its audit row and keep-alive date in the save's statement, and nothing after it", async () => {
    // Google's refresh tokens die after six months unused; a 30-day access token would outlive the keep-alive.
    const { outcome, row, store } = await refreshOnce(tokenAnswer("at-2", 30 * 86_400), { provider: "google" });
    expect(outcome).toMatchObject({ kind: "refreshed", persisted: "saved" });
    expect(store.calls.map((c) => c.fn)).toEqual(["acquire_refresh_lease", "save_refreshed_tokens"]);
    expect(store.audit).toEqual([{ connection_id: row.id, action: "refresh", outcome: "success", duration_ms: 0 }]);
    expect(row.next_attempt_at).toEqual(new Date(T0 + 7 * 86_400_000));
  });

  it("a refreshed token's expiry counts from the clock's now", async () => {
    const { outcome, row } = await refreshOnce(tokenAnswer("at-2", 1_800));
    expect(outcome).toMatchObject({ kind: "refreshed", persisted: "saved", expiresAt: new Date(T0 + 1_800_000) });
    expect(row.token_expires_at).toEqual(new Date(T0 + 1_800_000));
  });
});
