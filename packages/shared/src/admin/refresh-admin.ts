import type { Sql } from "../db/create-sql.ts";
import { ApiError } from "../http/api-error.ts";
import { acquireLease, readConnection } from "../engine/connection-store.ts";
import { leaseOf, type EngineDeps } from "../engine/engine-deps.ts";
import { recordOutcome, runOptionsFromEnv, schedulerGate, type RunOptions } from "../engine/refresh-expiring.ts";
import { refreshLeased, type RefreshOutcome } from "../engine/refresh-leased.ts";
import { statusCondition } from "./admin-queries.ts";
import type { RefreshManyFilter } from "./admin-request.ts";

export type AdminRefreshOutcome = "refreshed" | "failed" | "needs_reauth" | "skipped";

/** What token-admin answers for one connection: the outcome and, unless refreshed, a stable code. */
export interface AdminRefreshResult {
  connection_id: string;
  outcome: AdminRefreshOutcome;
  code?: string;
}

function describe(id: string, outcome: RefreshOutcome): AdminRefreshResult {
  // Never the outcome's tokens: only what happened.
  if (outcome.kind === "refreshed") return { connection_id: id, outcome: "refreshed" };
  if (outcome.kind === "superseded") return { connection_id: id, outcome: "skipped", code: "superseded" };
  if (outcome.code === "reauth_required") return { connection_id: id, outcome: "needs_reauth", code: outcome.code };
  return { connection_id: id, outcome: "failed", code: outcome.code };
}

/**
 * Refreshes one connection now, through the engine get-token uses: the refresh lease (a connection being
 * refreshed elsewhere is `skipped`/`busy`, never refreshed twice), then {@link refreshLeased}.
 */
export async function refreshConnectionNow(deps: EngineDeps, id: string): Promise<AdminRefreshResult> {
  const current = await readConnection(deps.sql, id);
  if (!current) throw new ApiError("not_found", `no connection has the id in "connection_id"`);
  if (current.status === "disconnected") return { connection_id: id, outcome: "skipped", code: "disconnected" };
  if (current.refresh_token === null) return { connection_id: id, outcome: "skipped", code: "no_refresh_token" };
  const owner = crypto.randomUUID();
  const leased = await acquireLease(deps.sql, id, owner, leaseOf(deps));
  if (!leased) return { connection_id: id, outcome: "skipped", code: "busy" };
  return describe(id, await refreshLeased(deps, leased, owner));
}

/** At most this many connections per refresh-many call; the rest wait for the next call or the schedule. */
export const REFRESH_MANY_MAX = 10_000;

export interface RefreshManySummary {
  selected: number;
  refreshed: number;
  failed: number;
  needs_reauth: number;
  skipped: number;
}

/** The ids refresh-many works on: live connections with a refresh token, matching the filter. */
export async function selectForRefresh(sql: Sql, filter: RefreshManyFilter, max = Math.min(filter.limit ?? REFRESH_MANY_MAX, REFRESH_MANY_MAX)) {
  return sql<{ id: string; provider: string }[]>`
    select c.id, c.provider from public.platform_connections as c
    where c.status <> 'disconnected' and c.refresh_token is not null
      and ${filter.provider ? sql`c.provider = ${filter.provider}` : sql`true`}
      and ${statusCondition(sql, filter.status)}
    order by c.token_expires_at nulls last
    limit ${max}`;
}

/**
 * Refreshes every matching connection through the scheduler's own gate ({@link schedulerGate}: the same
 * overall and per-provider concurrency, slow start, 429 pause and circuit breaker as refresh-expiring, from
 * the same `REFRESH_*` settings), so a bulk refresh cannot stampede a provider. A connection whose provider is
 * paused or whose lease another instance holds is `skipped`; so is what is left when `budgetMs` runs out.
 */
export async function refreshMany(
  deps: EngineDeps,
  filter: RefreshManyFilter,
  options: RunOptions = runOptionsFromEnv(deps.env),
  budgetMs = 100_000,
): Promise<RefreshManySummary> {
  const rows = await selectForRefresh(deps.sql, filter);
  const summary: RefreshManySummary = { selected: rows.length, refreshed: 0, failed: 0, needs_reauth: 0, skipped: 0 };
  const gate = schedulerGate(options);
  const owner = crypto.randomUUID();
  const deadline = Date.now() + budgetMs;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const row = rows[i]!;
      if (Date.now() > deadline) {
        summary.skipped += 1;
        continue;
      }
      const admission = await gate.admit(row.provider);
      if (!admission.admitted) {
        summary.skipped += 1;
        continue;
      }
      try {
        const leased = await acquireLease(deps.sql, row.id, owner, leaseOf(deps));
        if (!leased || leased.status === "disconnected" || leased.refresh_token === null) {
          if (leased) await deps.sql`select provider_tokens.release_refresh_lease(${row.id}, ${owner})`;
          summary.skipped += 1;
          continue;
        }
        summary[recordOutcome(gate, row.provider, await refreshLeased(deps, leased, owner)).counted] += 1;
      } catch (err) {
        summary.failed += 1;
        deps.logger.error("admin_refresh_error", { provider: row.provider, error: (err as Error)?.name });
      } finally {
        admission.release();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(rows.length, 1)) }, worker));
  return summary;
}
