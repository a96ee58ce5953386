import { decryptConnectionToken } from "../crypto/connection-tokens.ts";
import type { Sql } from "../db/create-sql.ts";
import { DEFAULT_RATE_LIMIT_DELAY_MS } from "../oauth/classify-provider-failure.ts";
import { isProviderError } from "../oauth/provider-error.ts";
import { validateAccessToken } from "../oauth/token-client.ts";
import { PROVIDER_CATALOG } from "../providers/catalog.ts";
import { resolveIfConfigured } from "../providers/resolve-provider.ts";
import { connectionEndpointParams } from "../providers/provider-hooks.ts";
import {
  acquireLease, deferConnection, logEvent, recordFailure, recordValidated, releaseLease, type ConnectionRow,
} from "./connection-store.ts";
import { clockOf, leaseOf, nowOf, type EngineDeps } from "./engine-deps.ts";
import { ProviderGate } from "./provider-gate.ts";
import { refreshLeased, type RefreshOutcome } from "./refresh-leased.ts";
import { recordRunFinished, recordRunStarted, type FinishedRun, type RunTrigger } from "./refresh-runs.ts";
import { RunBudget } from "./run-budget.ts";
import { MISCONFIGURED_PAUSE_MS } from "./transitions.ts";

/**
 * The contract's summary of a run (`claimed` … `cpu_ms`), plus its id (the row of public.refresh_runs), its
 * partition, why it stopped claiming, and which providers were paused or broken.
 */
export interface RunSummary extends Omit<FinishedRun, "error_code"> {
  run_id: string;
  partition: number;
  partitions: number;
}

/** What one invocation is asked to do, and how its host measures CPU. */
export interface RunRequest {
  /** This run claims only connections with `connection_partition(id, partitions) = partition`. */
  partition: number;
  partitions: number;
  trigger: RunTrigger;
  /**
   * Milliseconds of CPU used so far by whatever the host can measure (the Deno process: `Deno.cpuUsage()`).
   * Only differences are used. Without it the CPU budget is not enforced and `cpu_ms` is 0.
   */
  cpuClock?: () => number;
  /** The run's id (also the owner of its leases); a random UUID by default. */
  runId?: string;
  /** Called once the run's row in public.refresh_runs is written (or could not be), before any claim. */
  onStarted?: () => void;
}

export const SINGLE_PARTITION: RunRequest = { partition: 0, partitions: 1, trigger: "request" };

/** Largest partition count the claim functions accept. */
export const MAX_PARTITIONS = 256;

/** CPU a row is assumed to cost before the run has measured its own average (ms). */
const INITIAL_CPU_PER_ROW_MS = 2;

export interface RunOptions {
  /** Stop claiming after this many ms (Edge Functions are cut at 150 s or 400 s wall clock). */
  budgetMs: number;
  /**
   * Stop claiming, and stop starting rows, before the run's measured CPU reaches this many ms (hosted Edge
   * Functions are cut with error 546 at 2 s of CPU per request). Rows already claimed but not started are
   * handed back at once; calls in flight finish.
   */
  cpuBudgetMs: number;
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
  cpuBudgetMs: 1_500,
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
    cpuBudgetMs: num("REFRESH_CPU_BUDGET_MS", d.cpuBudgetMs, 100, 60_000),
    windowSeconds: num("REFRESH_WINDOW_SECONDS", d.windowSeconds, 0, 86_400),
    batchSize: num("REFRESH_BATCH_SIZE", d.batchSize, 1, 1_000),
    concurrency: num("REFRESH_CONCURRENCY", d.concurrency, 1, 256),
    perProviderConcurrency: num("REFRESH_PROVIDER_CONCURRENCY", d.perProviderConcurrency, 1, 256),
    breakerThreshold: num("REFRESH_BREAKER_THRESHOLD", d.breakerThreshold, 1, 1_000),
    breakerCooldownMs: num("REFRESH_BREAKER_COOLDOWN_MS", d.breakerCooldownMs, 1_000, 3_600_000),
  };
}

/**
 * One scheduled run: claims due connections of its partition in batches (FOR UPDATE SKIP LOCKED plus a
 * lease, so concurrent runs never share a row), refreshes them through a pool of workers bounded overall
 * and per provider, and stops claiming before its wall-clock budget or its CPU budget, whichever comes
 * first; what is left waits for the next tick (or another partition's run). A provider-wide 429 pauses that
 * provider; a per-connection one (the catalog says which) only delays that connection; a 5xx storm opens that
 * provider's circuit; bad client credentials pause the provider and leave its users as they are. Then it
 * validates due tokens that never expire. Memory holds one batch at a time.
 *
 * The run's row in public.refresh_runs is written when it starts and completed with the summary at the end,
 * so the summary is visible when nobody waited for the answer.
 */
export async function runRefreshExpiring(
  deps: EngineDeps,
  options: RunOptions = DEFAULT_RUN_OPTIONS,
  request: RunRequest = SINGLE_PARTITION,
): Promise<RunSummary> {
  const now = clockOf(deps);
  const started = now();
  const deadline = started + options.budgetMs;
  const owner = request.runId ?? crypto.randomUUID();
  const { partition, partitions } = request;
  const summary: RunSummary = {
    claimed: 0, refreshed: 0, validated: 0, failed: 0, needs_reauth: 0, skipped: 0, duration_ms: 0, cpu_ms: 0,
    run_id: owner, partition, partitions, stopped_by: "drained", paused_providers: [], broken_providers: [],
  };
  try {
    await recordRunStarted(deps.sql, { id: owner, trigger: request.trigger, partition, partitions });
  } catch (err) {
    // The record is for operators; a run that cannot write it still refreshes.
    deps.logger.error("run_record_failed", { error: (err as Error)?.name });
  }
  request.onStarted?.();
  const broken = new Set<string>();
  const paused = new Set<string>();
  const gate = schedulerGate(options, now);
  // Claims lease their rows for two leases, so most rows reach their provider call without a renewal.
  const claimLeaseSeconds = leaseOf(deps) * 2;
  // Leave room for the calls in flight to finish (provider timeout 10 s) before the budget ends.
  const claimUntil = deadline - 12_000;

  // Rows in progress (or queued) still cost CPU after a check, so the budget counts them (run-budget.ts).
  const budget = new RunBudget({ claimUntil, cpuBudgetMs: options.cpuBudgetMs, cpuClock: request.cpuClock, initialCpuPerRowMs: INITIAL_CPU_PER_ROW_MS, now });
  let rowsActive = 0;
  const budgetReached = (rowsAhead: number) => budget.reached(rowsAhead);

  async function defer(row: ConnectionRow, at: Date) {
    summary.skipped += 1;
    await deferConnection(deps.sql, row.id, owner, at);
  }

  async function refreshOne(row: ClaimedRow): Promise<void> {
    if (budgetReached(rowsActive)) return defer(row, nowOf(deps));
    const admission = await gate.admit(row.provider);
    if (!admission.admitted) {
      if (admission.reason === "paused") paused.add(row.provider);
      return defer(row, new Date(admission.retryAt));
    }
    try {
      if (now() > deadline - 11_000) {
        budget.stop("time_budget");
        return await defer(row, nowOf(deps));
      }
      if (budgetReached(rowsActive)) return await defer(row, nowOf(deps));
      // The provider call and the save need a whole lease ahead of them. Most rows still have it from their
      // claim; one that waited in the queue or at the gate for more than a lease renews it first. Without a
      // renewal the claim's row is used as it is: its version and has_pending were read under the claim's
      // lease, and a row rewritten since (a reconnect, a disconnect) fails the save's compare-and-set and ends
      // as superseded, its new tokens untouched.
      let leased: ConnectionRow = row;
      if (mustRenewClaimLease(row.claimSentAt, now(), claimLeaseSeconds * 1000, leaseOf(deps) * 1000)) {
        const renewed = await acquireLease(deps.sql, row.id, owner, leaseOf(deps));
        if (!renewed) {
          summary.skipped += 1;
          return;
        }
        if (renewed.version !== row.version) {
          // Someone rewrote the row since the claim (a reconnect, a disconnect, a refresh after our claim lease
          // lapsed): it is no longer what was due. Give the renewed lease back at once, or the row would stay
          // blocked for a whole lease.
          await releaseLease(deps.sql, row.id, owner);
          summary.skipped += 1;
          return;
        }
        leased = renewed;
      }
      const effect = recordOutcome(gate, row.provider, await refreshLeased(deps, leased, owner), now);
      summary[effect.counted] += 1;
      if (effect.broken) broken.add(row.provider);
      if (effect.paused) paused.add(row.provider);
    } finally {
      admission.release();
    }
  }

  async function validateOne(row: ConnectionRow): Promise<void> {
    if (budgetReached(rowsActive)) return defer(row, nowOf(deps));
    const resolved = resolveIfConfigured(row.provider, deps.env);
    const interval = (resolved.configured ? resolved.provider.definition.validation?.intervalSeconds : undefined) ?? 86_400;
    if (!resolved.configured) return defer(row, new Date(now() + MISCONFIGURED_PAUSE_MS));
    const admission = await gate.admit(row.provider);
    if (!admission.admitted) return defer(row, new Date(admission.retryAt));
    const started = now();
    try {
      const accessToken = await decryptConnectionToken(deps.ring, row.id, "access_token", row.access_token!);
      await validateAccessToken(resolved.provider, accessToken, {
        endpointParams: connectionEndpointParams(row), ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      await recordValidated(deps.sql, row.id, owner, new Date(now() + interval * 1000));
      await logEvent(deps.sql, { connectionId: row.id, action: "validation", outcome: "success", durationMs: now() - started });
      summary.validated += 1;
      gate.recordSuccess(row.provider);
    } catch (err) {
      if (!isProviderError(err)) {
        await defer(row, new Date(now() + MISCONFIGURED_PAUSE_MS));
        deps.logger.error("validation_error", { provider: row.provider, error: (err as Error)?.name });
        return;
      }
      const reauth = err.code === "reauth_required";
      const retryAt = reauth ? null : new Date(now() + (err.retryAfterMs ?? 15 * 60_000));
      await recordFailure(deps.sql, row.id, owner, err.code, err.message, retryAt, reauth ? "needs_reauth" : null);
      await logEvent(deps.sql, { connectionId: row.id, action: "validation", outcome: "failure", httpStatus: err.status ?? null, errorCode: err.code, durationMs: now() - started });
      if (reauth) summary.needs_reauth += 1;
      else summary.failed += 1;
      if (err.code === "transient") gate.recordTransient(row.provider);
      if (err.code === "rate_limited" && err.rateLimitScope !== "connection") {
        paused.add(row.provider);
        gate.pause(row.provider, now() + (err.retryAfterMs ?? DEFAULT_RATE_LIMIT_DELAY_MS));
      }
    } finally {
      admission.release();
    }
  }

  /** Runs `work` over claimed batches with `concurrency` workers until the claim returns nothing or time is up. */
  async function drain<R extends ConnectionRow>(claim: (n: number) => Promise<R[]>, work: (row: R) => Promise<void>) {
    const queue: R[] = [];
    let exhausted = false;
    let claiming: Promise<void> | null = null;
    const refill = async () => {
      if (exhausted || budgetReached(queue.length + rowsActive)) {
        exhausted = true;
        return;
      }
      // Near the CPU budget, claim only what still fits.
      const n = Math.min(options.batchSize, budget.rowsAffordable(queue.length + rowsActive));
      if (n < 1) {
        budget.stop("cpu_budget");
        exhausted = true;
        return;
      }
      const rows = await claim(n);
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
        rowsActive += 1;
        try {
          await work(row);
        } catch (err) {
          summary.failed += 1;
          deps.logger.error("refresh_run_error", { provider: row.provider, error: (err as Error)?.name });
          await deferConnection(deps.sql, row.id, owner, new Date(now() + 60_000)).catch(() => {});
        } finally {
          rowsActive -= 1;
          budget.rowDone();
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  }

  const finish = async (error?: unknown) => {
    summary.duration_ms = now() - started;
    summary.cpu_ms = Math.round(budget.cpuSpent());
    summary.stopped_by = error === undefined ? (budget.stopped ?? "drained") : "error";
    summary.paused_providers = [...paused].sort();
    summary.broken_providers = [...new Set([...broken, ...gate.openCircuits()])].sort();
    try {
      await recordRunFinished(deps.sql, owner, { ...summary, ...(error === undefined ? {} : { error_code: "internal" }) });
    } catch (err) {
      deps.logger.error("run_record_failed", { error: (err as Error)?.name });
    }
  };

  try {
    await drain(async (n) => {
      const sentAt = now();
      const rows = await claimDuePartition(deps.sql, n, claimLeaseSeconds, owner, options.windowSeconds, partition, partitions);
      return rows.map((r) => Object.assign(r, { claimSentAt: sentAt }));
    }, refreshOne);
    await drain((n) => claimDueValidationsPartition(deps.sql, n, claimLeaseSeconds, owner, partition, partitions), validateOne);
  } catch (err) {
    await finish(err);
    throw err;
  }
  await finish();
  return summary;
}

/**
 * The scheduler's admission gate: `concurrency` provider calls in flight overall, `perProviderConcurrency` per
 * provider (or the catalog's lower limit, like Xero's 5), and a circuit per provider. Shared with anything
 * else that refreshes in bulk (token-admin's refresh-many), so no caller can stampede a provider.
 */
export function schedulerGate(
  options: Pick<RunOptions, "concurrency" | "perProviderConcurrency" | "breakerThreshold" | "breakerCooldownMs">,
  now: () => number = Date.now,
): ProviderGate {
  return new ProviderGate({
    overall: options.concurrency,
    perProvider: (p) => {
      const def = (PROVIDER_CATALOG as Record<string, { rateLimit?: { maxConcurrentRequests?: number } }>)[p];
      return Math.min(options.perProviderConcurrency, def?.rateLimit?.maxConcurrentRequests ?? Infinity);
    },
    breakerThreshold: options.breakerThreshold,
    breakerCooldownMs: options.breakerCooldownMs,
    now,
  });
}

/** How one leased refresh counts in a run's summary, and what it did to its provider's gate. */
export interface OutcomeEffect {
  counted: "refreshed" | "needs_reauth" | "failed" | "skipped";
  /** The provider's client credentials were refused: it is paused for {@link MISCONFIGURED_PAUSE_MS}. */
  broken?: boolean;
  /** The provider answered a provider-wide 429: it is paused until its Retry-After. */
  paused?: boolean;
}

/** Feeds a refresh's outcome to the gate (success, transient failure, pause) and says how it counts. */
export function recordOutcome(gate: ProviderGate, provider: string, outcome: RefreshOutcome, now: () => number = Date.now): OutcomeEffect {
  switch (outcome.kind) {
    case "refreshed":
      gate.recordSuccess(provider);
      return { counted: "refreshed" };
    case "superseded":
      return { counted: "skipped" };
    case "failed":
      if (outcome.code === "reauth_required") {
        gate.recordSuccess(provider);
        return { counted: "needs_reauth" };
      }
      if (outcome.code === "client_misconfigured" || outcome.code === "not_configured") {
        gate.pause(provider, now() + MISCONFIGURED_PAUSE_MS);
        return { counted: "failed", broken: true };
      }
      if (outcome.code === "rate_limited") {
        // A per-connection limit (Google's "User-rate limit exceeded") delays only this row, which
        // refreshLeased already rescheduled after the wait; a provider-wide one pauses the provider.
        if (outcome.rateLimitScope === "connection") return { counted: "failed" };
        gate.pause(provider, now() + (outcome.retryAfterMs ?? DEFAULT_RATE_LIMIT_DELAY_MS));
        return { counted: "failed", paused: true };
      }
      if (outcome.code === "transient") gate.recordTransient(provider);
      return { counted: "failed" };
  }
}

/** A row of a refresh claim, and when that claim was sent (the engine's clock). */
type ClaimedRow = ConnectionRow & { claimSentAt: number };

/**
 * Whether a claimed row must renew its lease before the provider call: when less than one lease (`leaseMs`)
 * of its claim lease (`claimLeaseMs`) is left. Elapsed time is measured on the engine's clock from when the
 * claim was sent, which is no later than when the database started the lease, so the estimate of what is left
 * never runs long; the database's timestamps are never compared with the local clock. A clock that went back
 * renews.
 */
export function mustRenewClaimLease(claimSentAt: number, now: number, claimLeaseMs: number, leaseMs: number): boolean {
  const elapsed = now - claimSentAt;
  return elapsed < 0 || claimLeaseMs - elapsed < leaseMs;
}

/**
 * claim_due_connections over one partition (the six-argument form; one partition is the whole table). Each
 * row says whether a parked set waits (`has_pending`), asked after the claim took the row's lease, as
 * acquireLease does: a refresh that keeps the claim's lease still reconciles a parked set first.
 */
export async function claimDuePartition(
  sql: Sql, batch: number, leaseSeconds: number, owner: string, windowSeconds: number, partition: number, partitions: number,
): Promise<ConnectionRow[]> {
  return sql<ConnectionRow[]>`
    select c.*, provider_tokens.connection_has_parked(c.id) as has_pending
    from provider_tokens.claim_due_connections(${batch}, ${leaseSeconds}, ${owner}, ${windowSeconds}, ${partition}, ${partitions}) as c`;
}

/** claim_due_validations over one partition. */
export async function claimDueValidationsPartition(
  sql: Sql, batch: number, leaseSeconds: number, owner: string, partition: number, partitions: number,
): Promise<ConnectionRow[]> {
  return sql<ConnectionRow[]>`select * from provider_tokens.claim_due_validations(${batch}, ${leaseSeconds}, ${owner}, ${partition}, ${partitions})`;
}
