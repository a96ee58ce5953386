import { decryptConnectionToken } from "../db/connection-tokens.ts";
import { isProviderError } from "../oauth/provider-error.ts";
import { validateAccessToken } from "../oauth/token-client.ts";
import { PROVIDER_CATALOG } from "../providers/catalog.ts";
import { tryResolveProvider } from "../providers/resolve-provider.ts";
import {
  acquireLease, claimDue, claimDueValidations, deferConnection, logEvent, recordFailure, recordValidated, type ConnectionRow,
} from "./connection-store.ts";
import { endpointParamsOf, leaseOf, nowOf, type EngineDeps } from "./engine-deps.ts";
import { ProviderGate } from "./provider-gate.ts";
import { refreshLeased } from "./refresh-leased.ts";
import { MISCONFIGURED_PAUSE_MS } from "./transitions.ts";

/** The contract's summary of a run, plus which providers were paused or broken. */
export interface RunSummary {
  claimed: number;
  refreshed: number;
  validated: number;
  failed: number;
  needs_reauth: number;
  skipped: number;
  duration_ms: number;
  paused_providers: string[];
  broken_providers: string[];
}

export interface RunOptions {
  /** Stop claiming after this many ms (Edge Functions are cut at 150 s or 400 s wall clock). */
  budgetMs: number;
  /** Refresh what expires within this many seconds. */
  windowSeconds: number;
  /** Rows claimed per batch. */
  batchSize: number;
  /** Provider calls in flight overall. */
  concurrency: number;
  /** Provider calls in flight per provider (a catalog limit, like Xero's 5, wins when lower). */
  perProviderConcurrency: number;
  /** Consecutive transient failures that open a provider's circuit for `breakerCooldownMs`. */
  breakerThreshold: number;
  breakerCooldownMs: number;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  budgetMs: 50_000,
  windowSeconds: 300,
  batchSize: 100,
  concurrency: 48,
  perProviderConcurrency: 16,
  breakerThreshold: 5,
  breakerCooldownMs: 60_000,
};

/** Reads the run options from the environment (`REFRESH_*`), falling back to the defaults. */
export function runOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): RunOptions {
  const num = (name: string, fallback: number, min: number, max: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v >= min && v <= max ? v : fallback;
  };
  const d = DEFAULT_RUN_OPTIONS;
  return {
    budgetMs: num("REFRESH_BUDGET_MS", d.budgetMs, 1_000, 390_000),
    windowSeconds: num("REFRESH_WINDOW_SECONDS", d.windowSeconds, 0, 86_400),
    batchSize: num("REFRESH_BATCH_SIZE", d.batchSize, 1, 1_000),
    concurrency: num("REFRESH_CONCURRENCY", d.concurrency, 1, 256),
    perProviderConcurrency: num("REFRESH_PROVIDER_CONCURRENCY", d.perProviderConcurrency, 1, 256),
    breakerThreshold: num("REFRESH_BREAKER_THRESHOLD", d.breakerThreshold, 1, 1_000),
    breakerCooldownMs: num("REFRESH_BREAKER_COOLDOWN_MS", d.breakerCooldownMs, 1_000, 3_600_000),
  };
}

/**
 * One scheduled run: claims due connections in batches (FOR UPDATE SKIP LOCKED plus a lease, so concurrent
 * runs never share a row), refreshes them through a pool of workers bounded overall and per provider, and
 * stops claiming before its time budget; what is left waits for the next tick. A 429 pauses only that
 * provider; a 5xx storm opens that provider's circuit; bad client credentials pause the provider and leave
 * its users as they are. Then it validates due tokens that never expire. Memory holds one batch at a time.
 */
export async function runRefreshExpiring(deps: EngineDeps, options: RunOptions = DEFAULT_RUN_OPTIONS): Promise<RunSummary> {
  const started = Date.now();
  const deadline = started + options.budgetMs;
  const owner = crypto.randomUUID();
  const summary: RunSummary = {
    claimed: 0, refreshed: 0, validated: 0, failed: 0, needs_reauth: 0, skipped: 0, duration_ms: 0, paused_providers: [], broken_providers: [],
  };
  const broken = new Set<string>();
  const paused = new Set<string>();
  const gate = new ProviderGate({
    overall: options.concurrency,
    perProvider: (p) => {
      const def = (PROVIDER_CATALOG as Record<string, { rateLimit?: { maxConcurrentRequests?: number } }>)[p];
      return Math.min(options.perProviderConcurrency, def?.rateLimit?.maxConcurrentRequests ?? Infinity);
    },
    breakerThreshold: options.breakerThreshold,
    breakerCooldownMs: options.breakerCooldownMs,
  });
  // Leave room for the calls in flight to finish (provider timeout 10 s) before the budget ends.
  const claimUntil = deadline - 12_000;

  async function defer(row: ConnectionRow, at: Date) {
    summary.skipped += 1;
    await deferConnection(deps.sql, row.id, owner, at);
  }

  async function refreshOne(row: ConnectionRow): Promise<void> {
    const admission = await gate.admit(row.provider);
    if (!admission.admitted) {
      if (admission.reason === "paused") paused.add(row.provider);
      return defer(row, new Date(admission.retryAt));
    }
    try {
      if (Date.now() > deadline - 11_000) return await defer(row, nowOf(deps));
      // Renew the lease right before the provider call, so it cannot lapse while the call is in flight
      // (a row may have waited in the queue for part of its claim lease).
      const leased = await acquireLease(deps.sql, row.id, owner, leaseOf(deps));
      if (!leased || leased.version !== row.version) {
        summary.skipped += 1;
        return;
      }
      const outcome = await refreshLeased(deps, leased, owner);
      switch (outcome.kind) {
        case "refreshed":
          summary.refreshed += 1;
          gate.recordSuccess(row.provider);
          return;
        case "superseded":
          summary.skipped += 1;
          return;
        case "failed":
          if (outcome.code === "reauth_required") {
            summary.needs_reauth += 1;
            gate.recordSuccess(row.provider);
          } else if (outcome.code === "client_misconfigured" || outcome.code === "not_configured") {
            summary.failed += 1;
            broken.add(row.provider);
            gate.pause(row.provider, Date.now() + MISCONFIGURED_PAUSE_MS);
          } else if (outcome.code === "rate_limited") {
            summary.failed += 1;
            paused.add(row.provider);
            gate.pause(row.provider, Date.now() + (outcome.retryAfterMs ?? 60_000));
          } else {
            summary.failed += 1;
            if (outcome.code === "transient") gate.recordTransient(row.provider);
          }
      }
    } finally {
      admission.release();
    }
  }

  async function validateOne(row: ConnectionRow): Promise<void> {
    const resolved = tryResolveProvider(row.provider, deps.env);
    const interval = (resolved.configured ? resolved.provider.definition.validation?.intervalSeconds : undefined) ?? 86_400;
    if (!resolved.configured) return defer(row, new Date(Date.now() + MISCONFIGURED_PAUSE_MS));
    const admission = await gate.admit(row.provider);
    if (!admission.admitted) return defer(row, new Date(admission.retryAt));
    const started = Date.now();
    try {
      const accessToken = await decryptConnectionToken(deps.ring, row.id, "access_token", row.access_token!);
      await validateAccessToken(resolved.provider, accessToken, {
        endpointParams: endpointParamsOf(row.metadata), ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      await recordValidated(deps.sql, row.id, owner, new Date(Date.now() + interval * 1000));
      await logEvent(deps.sql, { connectionId: row.id, action: "validation", outcome: "success", durationMs: Date.now() - started });
      summary.validated += 1;
      gate.recordSuccess(row.provider);
    } catch (err) {
      if (!isProviderError(err)) {
        await defer(row, new Date(Date.now() + MISCONFIGURED_PAUSE_MS));
        deps.logger.error("validation_error", { provider: row.provider, error: (err as Error)?.name });
        return;
      }
      const reauth = err.code === "reauth_required";
      const retryAt = reauth ? null : new Date(Date.now() + (err.retryAfterMs ?? 15 * 60_000));
      await recordFailure(deps.sql, row.id, owner, err.code, err.message, retryAt, reauth ? "needs_reauth" : null);
      await logEvent(deps.sql, { connectionId: row.id, action: "validation", outcome: "failure", httpStatus: err.status ?? null, errorCode: err.code, durationMs: Date.now() - started });
      if (reauth) summary.needs_reauth += 1;
      else summary.failed += 1;
      if (err.code === "transient") gate.recordTransient(row.provider);
      if (err.code === "rate_limited") gate.pause(row.provider, Date.now() + (err.retryAfterMs ?? 60_000));
    } finally {
      admission.release();
    }
  }

  /** Runs `work` over claimed batches with `concurrency` workers until the claim returns nothing or time is up. */
  async function drain(claim: (n: number) => Promise<ConnectionRow[]>, work: (row: ConnectionRow) => Promise<void>) {
    const queue: ConnectionRow[] = [];
    let exhausted = false;
    let claiming: Promise<void> | null = null;
    const refill = async () => {
      if (exhausted || Date.now() > claimUntil) {
        exhausted = true;
        return;
      }
      const rows = await claim(options.batchSize);
      summary.claimed += rows.length;
      if (rows.length === 0) exhausted = true;
      queue.push(...rows);
    };
    const worker = async () => {
      for (;;) {
        if (queue.length < options.concurrency && !exhausted) {
          claiming ??= refill().finally(() => (claiming = null));
          if (queue.length === 0) await claiming;
        }
        const row = queue.shift();
        if (!row) {
          if (claiming) {
            await claiming;
            continue;
          }
          if (exhausted) return;
          continue;
        }
        try {
          await work(row);
        } catch (err) {
          summary.failed += 1;
          deps.logger.error("refresh_run_error", { provider: row.provider, error: (err as Error)?.name });
          await deferConnection(deps.sql, row.id, owner, new Date(Date.now() + 60_000)).catch(() => {});
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  }

  await drain((n) => claimDue(deps.sql, n, leaseOf(deps) * 2, owner, options.windowSeconds), refreshOne);
  await drain((n) => claimDueValidations(deps.sql, n, leaseOf(deps) * 2, owner), validateOne);

  summary.duration_ms = Date.now() - started;
  summary.paused_providers = [...paused].sort();
  summary.broken_providers = [...new Set([...broken, ...gate.openCircuits()])].sort();
  return summary;
}
