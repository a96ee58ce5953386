import { acquireLease, type ConnectionRow } from "../engine/connection-store.ts";
import { leaseOf, type EngineDeps } from "../engine/engine-deps.ts";
import { refreshLeased, type RefreshOutcome } from "../engine/refresh-leased.ts";

/** What an operator's "refresh now" did; never a token. */
export type RefreshNowResult =
  | { outcome: "refreshed"; expires_at: string; persisted: "saved" | "parked" | "lost" }
  | { outcome: "failed"; code: string; retry_at: string | null }
  | { outcome: "superseded" }
  | { outcome: "busy" }
  | { outcome: "not_refreshable"; reason: string };

/**
 * Refreshes one connection now, through the engine the functions use (refresh-leased.ts): its lease, its
 * compare-and-set save and its audit rows. Waits up to `waitMs` for a refresh already in flight to give the
 * lease back; `busy` when it does not.
 */
export async function refreshNow(deps: EngineDeps, connectionId: string, waitMs = 10_000): Promise<RefreshNowResult> {
  const owner = crypto.randomUUID();
  const deadline = Date.now() + waitMs;
  let row: ConnectionRow | null = null;
  for (;;) {
    row = await acquireLease(deps.sql, connectionId, owner, leaseOf(deps));
    if (row || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 150));
  }
  if (!row) return { outcome: "busy" };
  if (row.refresh_token === null || (row.status !== "connected" && row.status !== "token_expired")) {
    await deps.sql`select provider_tokens.release_refresh_lease(${row.id}, ${owner})`;
    return { outcome: "not_refreshable", reason: row.refresh_token === null ? "the connection has no refresh token" : `the connection is ${row.status}` };
  }
  const outcome: RefreshOutcome = await refreshLeased(deps, row, owner);
  switch (outcome.kind) {
    case "refreshed":
      return { outcome: "refreshed", expires_at: outcome.expiresAt.toISOString(), persisted: outcome.persisted };
    case "failed":
      return { outcome: "failed", code: outcome.code, retry_at: outcome.retryAt?.toISOString() ?? null };
    default:
      return { outcome: "superseded" };
  }
}
