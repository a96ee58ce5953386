import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS, mustRenewClaimLease, runRefreshExpiring, type RunOptions } from "./refresh-expiring.ts";
import { connectedRow, fakeClock, fakeEngine, T0, tokenAnswer, type Clock, type FakeRow } from "./test-support.ts";

const LEASE_MS = 45_000;
/** One worker, so the rows of a claim wait in the queue one after the other. */
const ONE_AT_A_TIME: RunOptions = { ...DEFAULT_RUN_OPTIONS, budgetMs: 390_000, concurrency: 1, batchSize: 10 };
const idOf = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

/** `count` due rows (row n expires n s after T0, so they are claimed in order) and a provider that takes `callMs`. */
async function dueRows(count: number, callMs: number, onCall: (n: number, clock: Clock, rows: Map<string, FakeRow>) => void = () => {}) {
  const clock = fakeClock();
  const calls: Request[] = [];
  let rows = new Map<string, FakeRow>();
  const { deps, ring, store } = await fakeEngine(clock, async (input: Request) => {
    calls.push(input);
    onCall(calls.length, clock, rows);
    clock.advance(callMs);
    return tokenAnswer(`at-${calls.length + 1}`)();
  });
  rows = store.rows;
  for (let n = 1; n <= count; n++) {
    const row = await connectedRow(ring, T0 + n * 1_000, { id: idOf(n) });
    store.rows.set(row.id, row);
  }
  return { deps, store, clock, providerCalls: calls };
}

const callsOf = (store: { calls: { fn: string; params: unknown[] }[] }, fn: string) => store.calls.filter((c) => c.fn === fn);

describe("the claim lease: renewed before the provider call only when less than a lease is left", () => {
  it("decides on the engine's clock from when the claim was sent", () => {
    expect(mustRenewClaimLease(T0, T0, 2 * LEASE_MS, LEASE_MS)).toBe(false);
    expect(mustRenewClaimLease(T0, T0 + LEASE_MS, 2 * LEASE_MS, LEASE_MS)).toBe(false);
    expect(mustRenewClaimLease(T0, T0 + LEASE_MS + 1, 2 * LEASE_MS, LEASE_MS)).toBe(true);
    expect(mustRenewClaimLease(T0, T0 + 3 * LEASE_MS, 2 * LEASE_MS, LEASE_MS)).toBe(true);
    // A clock that went back cannot tell how much is left.
    expect(mustRenewClaimLease(T0, T0 - 1, 2 * LEASE_MS, LEASE_MS)).toBe(true);
  });

  it("rows that wait less than a lease keep the claim's lease; later ones renew it; each save is one statement", async () => {
    // 25 s per provider call: rows 1 and 2 start at 0 s and 25 s, rows 3 and 4 at 50 s and 75 s, past one lease.
    const { deps, store } = await dueRows(4, 25_000);
    const summary = await runRefreshExpiring(deps, ONE_AT_A_TIME);
    expect(summary).toMatchObject({ claimed: 4, refreshed: 4, skipped: 0, failed: 0 });
    expect(callsOf(store, "acquire_refresh_lease").map((c) => c.params[0])).toEqual([idOf(3), idOf(4)]);
    // After the claim, a refreshed row costs its save alone (plus the renewal when it waited).
    expect(callsOf(store, "save_refreshed_tokens")).toHaveLength(4);
    for (const fn of ["log_token_event", "schedule_keepalive", "release_refresh_lease", "apply_parked_tokens"]) expect(callsOf(store, fn)).toEqual([]);
    expect(store.audit.map((a) => [a.connection_id, a.action, a.outcome, a.duration_ms])).toEqual(
      [1, 2, 3, 4].map((n) => [idOf(n), "refresh", "success", 25_000]),
    );
    for (const n of [1, 2, 3, 4]) expect(store.rows.get(idOf(n))).toMatchObject({ version: "2", lease_owner: null, status: "connected" });
  });

  it("a claimed row with a parked set reconciles it first, without a renewal", async () => {
    const { deps, store } = await dueRows(2, 1_000);
    store.parked.add(idOf(2));
    const summary = await runRefreshExpiring(deps, ONE_AT_A_TIME);
    expect(summary).toMatchObject({ claimed: 2, refreshed: 2 });
    expect(callsOf(store, "apply_parked_tokens").map((c) => c.params[0])).toEqual([idOf(2)]);
    expect(callsOf(store, "acquire_refresh_lease")).toEqual([]);
  });

  it("a row rewritten since the claim, not renewed, is superseded by the save's compare-and-set: the rewrite stands", async () => {
    // While row 1's provider call is in flight, row 2 is reconnected (new tokens, version 2).
    const { deps, store, providerCalls } = await dueRows(2, 1_000, (n, _clock, rows) => {
      if (n === 1) Object.assign(rows.get(idOf(2))!, { access_token: "reconnected", version: "2", token_expires_at: new Date(T0 + 3_600_000) });
    });
    const summary = await runRefreshExpiring(deps, ONE_AT_A_TIME);
    expect(summary).toMatchObject({ claimed: 2, refreshed: 1, skipped: 1 });
    expect(providerCalls).toHaveLength(2);
    expect(store.rows.get(idOf(2))).toMatchObject({ access_token: "reconnected", version: "2", lease_owner: null });
    expect(store.audit.map((a) => a.connection_id)).toEqual([idOf(1)]);
  });

  it("a row rewritten since the claim and renewed is skipped before its provider call", async () => {
    const { deps, store, providerCalls } = await dueRows(2, 50_000, (n, _clock, rows) => {
      if (n === 1) Object.assign(rows.get(idOf(2))!, { access_token: "reconnected", version: "2", token_expires_at: new Date(T0 + 3_600_000) });
    });
    const summary = await runRefreshExpiring(deps, ONE_AT_A_TIME);
    expect(summary).toMatchObject({ claimed: 2, refreshed: 1, skipped: 1 });
    expect(providerCalls).toHaveLength(1);
    expect(callsOf(store, "acquire_refresh_lease").map((c) => c.params[0])).toEqual([idOf(2)]);
    expect(callsOf(store, "release_refresh_lease").map((c) => c.params[0])).toEqual([idOf(2)]);
    expect(store.rows.get(idOf(2))).toMatchObject({ access_token: "reconnected", version: "2", lease_owner: null });
  });
});
