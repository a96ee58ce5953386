import { decryptConnectionToken, encryptConnectionTokens } from "../crypto/connection-tokens.ts";
import { backoffDelay } from "../oauth/backoff-delay.ts";
import { isProviderError, type ProviderError, type ProviderErrorCode, type RateLimitScope } from "../oauth/provider-error.ts";
import type { RefreshedTokenSet } from "../oauth/refresh-grant.ts";
import { refreshTokens, revokeTokens } from "../oauth/token-client.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { resolveIfConfigured } from "../providers/resolve-provider.ts";
import { connectionEndpointParams } from "../providers/provider-hooks.ts";
import {
  applyParked, logEvent, parkRefreshed, readConnection, readParked, recordFailure, releaseLease, saveRefreshed, type ConnectionRow,
} from "./connection-store.ts";
import { clockOf, leaseOf, nowOf, type EngineDeps } from "./engine-deps.ts";
import { keepAliveAt, keepAliveDaysFromEnv } from "../oauth/keepalive.ts";
import { DEFAULT_SAVE_POLICY, persistRefreshed, type SavePolicy } from "./persist-refreshed.ts";
import { failureStatus, MISCONFIGURED_PAUSE_MS, TRANSITIONS } from "./transitions.ts";

/** Retry backoff of a failing connection: full jitter, 30 s base, capped at one hour. */
export const RETRY_BACKOFF = { baseMs: 30_000, capMs: 3_600_000 } as const;
/** The shortest wait before a failing connection is tried again, whatever the jitter or the provider said. */
export const MIN_RETRY_MS = 5_000;
/** Time kept free at the end of a lease: the save effort stops this long before the lease would lapse. */
const LEASE_MARGIN_MS = 5_000;

export type RefreshOutcome =
  | {
    kind: "refreshed";
    accessToken: string;
    tokenType: string;
    scopes: readonly string[];
    expiresAt: Date;
    durationMs: number;
    /** Where the new set is: saved in the row, parked (applied on the next read or claim), or only in memory. */
    persisted: "saved" | "parked" | "lost";
  }
  /** Another writer changed the row while we held it (a rotation by another instance, a reconnect): re-read it. */
  | { kind: "superseded" }
  | {
    kind: "failed";
    code: ProviderErrorCode | "not_configured" | "undecryptable" | "save_failed";
    /** When the row becomes due again; null when the user must reconnect. */
    retryAt: Date | null;
    retryAfterMs?: number;
    /** For `rate_limited`: whose limit it was (the scheduler pauses the provider only for `provider`). */
    rateLimitScope?: RateLimitScope;
    status: number | undefined;
  };

/**
 * Refreshes one connection whose lease `owner` holds, and always gives the lease back (`finally`).
 *
 * 1. A parked token set (a previous refresh whose save failed) is applied first ({@link reconcileParked}); if
 *    it cannot be applied, its tokens are used instead of the row's, so a spent refresh token is never sent.
 * 2. The provider call; then the new set is persisted at once ({@link persistRefreshed}: compare-and-set
 *    retried with backoff, then parked), before anything else happens.
 * 3. Or the failure is recorded as the transition table says. After `reauth_required` the row is read again:
 *    if its version moved, another instance refreshed first and the caller should use its tokens.
 *
 * A set minted for a row that was disconnected meanwhile is revoked at the provider (best effort), so a
 * disconnect that could not take the lease does not leave a fresh grant alive.
 */
export async function refreshLeased(
  deps: EngineDeps,
  row: ConnectionRow,
  owner: string,
  policy: SavePolicy = DEFAULT_SAVE_POLICY,
): Promise<RefreshOutcome> {
  let leaseHeld = true;
  const started = clockOf(deps)();
  const leaseEndsAt = policy.clock() + leaseOf(deps) * 1000 - LEASE_MARGIN_MS;
  try {
    const resolved = resolveIfConfigured(row.provider, deps.env);
    if (!resolved.configured) {
      const retryAt = new Date(nowOf(deps).getTime() + MISCONFIGURED_PAUSE_MS);
      deps.logger.warn("refresh_failed", { provider: row.provider, code: "not_configured" });
      if (await recordFailure(deps.sql, row.id, owner, "not_configured", "the provider has no client credentials configured", retryAt, null)) leaseHeld = false;
      return { kind: "failed", code: "not_configured", retryAt, status: undefined };
    }
    const provider = resolved.provider;

    // A row read with its lease says whether a set is parked; one read otherwise is reconciled regardless.
    const reconciled = row.has_pending === false ? ({ kind: "none" } as const) : await reconcileParked(deps, row, owner);
    if (reconciled.kind === "applied") {
      leaseHeld = false;
      return reconciled.outcome;
    }
    if (reconciled.kind === "superseded") return { kind: "superseded" };
    if (reconciled.kind === "serve") return reconciled.outcome;
    const source = reconciled.kind === "use_parked" ? reconciled.row : row;

    let refreshToken: string;
    try {
      refreshToken = await decryptConnectionToken(deps.ring, source.id, "refresh_token", source.refresh_token!);
    } catch {
      // A key missing from TOKEN_ENCRYPTION_KEYS is an operator fault, not the user's: keep the row, try later.
      const retryAt = new Date(nowOf(deps).getTime() + MISCONFIGURED_PAUSE_MS);
      deps.logger.error("refresh_failed", { provider: row.provider, code: "undecryptable", key_id: source.encryption_key_id });
      if (await recordFailure(deps.sql, row.id, owner, "undecryptable", "the stored refresh token cannot be decrypted with the configured keys", retryAt, null)) leaseHeld = false;
      return { kind: "failed", code: "undecryptable", retryAt, status: undefined };
    }

    let set: RefreshedTokenSet;
    try {
      set = await refreshTokens(provider, refreshToken, {
        endpointParams: connectionEndpointParams(row),
        scopes: row.scopes,
        now: nowOf(deps),
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
    } catch (err) {
      if (!isProviderError(err)) throw err;
      return await recordProviderFailure(deps, row, owner, err, started, () => (leaseHeld = false));
    }
    // From here until the set is durable, a process kill loses the rotated refresh token: unsaved_ms.
    const received = policy.clock();
    if (set.adjustments) deps.logger.warn("token_values_adjusted", { provider: row.provider, operation: "refresh", adjusted: set.adjustments });

    const enc = await encryptConnectionTokens(deps.ring, row.id, { accessToken: set.accessToken, refreshToken: set.refreshToken });
    const values = {
      id: row.id,
      expectedVersion: row.version,
      accessToken: enc.accessToken,
      refreshToken: enc.refreshToken!,
      keyId: enc.keyId,
      expiresAt: set.expiresAt,
      refreshTokenExpiresAt: set.refreshTokenExpiresAt ?? row.refresh_token_expires_at,
      scopes: set.scopes,
      tokenType: set.tokenType,
    };
    const keepAlive = keepAliveAt(provider.definition.tokens.refreshTokenIdleSeconds, set.expiresAt, nowOf(deps), keepAliveDaysFromEnv(deps.env));
    const result = await persistRefreshed({
      // One statement: a successful save also writes its audit row and the keep-alive date (each guarded in
      // the function, so neither can cost the save); a refused or lost compare-and-set writes neither.
      save: () => saveRefreshed(deps.sql, { ...values, owner }, { logDurationMs: clockOf(deps)() - started, keepAliveAt: keepAlive }),
      park: () => parkRefreshed(deps.sql, values),
      onRefused: (step, attempt, error) =>
        deps.logger.warn("refresh_save_refused", { provider: row.provider, code: "save_failed", step, attempt, sql_error: sqlState(error) }),
    }, leaseEndsAt, policy);
    const unsavedMs = Math.round((policy.clock() - received) * 10) / 10;
    if (result.persisted === "saved") leaseHeld = false;

    const durationMs = clockOf(deps)() - started;
    if (result.persisted === "superseded") {
      // Our lease was taken over, or the row was rewritten (disconnect, reconnect) while we refreshed.
      deps.logger.error("refresh_not_saved", { provider: row.provider, code: "superseded", rotated: set.refreshTokenRotated });
      await revokeIfDisconnected(deps, provider, row, set);
      return { kind: "superseded" };
    }
    if (result.persisted === "lost") {
      deps.logger.error("refresh_failed", {
        provider: row.provider, code: "save_failed", rotated: set.refreshTokenRotated, attempts: result.attempts, unsaved_ms: unsavedMs,
      });
      await logEvent(deps.sql, { connectionId: row.id, action: "refresh", outcome: "failure", errorCode: "save_failed", durationMs }).catch(() => {});
    } else {
      deps.logger.info("refreshed", {
        provider: row.provider, rotated: set.refreshTokenRotated, duration_ms: durationMs, persisted: result.persisted,
        save_attempts: result.attempts, unsaved_ms: unsavedMs,
      });
      // A saved set's audit row came with the save; a parked one gets its own (and no keep-alive: the row is
      // unchanged until the set is applied).
      if (result.persisted === "parked") {
        await logEvent(deps.sql, { connectionId: row.id, action: "refresh", outcome: "success", durationMs }).catch(() => {});
      }
    }
    return {
      kind: "refreshed", accessToken: set.accessToken, tokenType: set.tokenType, scopes: set.scopes, expiresAt: set.expiresAt, durationMs,
      persisted: result.persisted,
    };
  } catch (err) {
    // Not a provider answer (a database error before the provider call, a bug): back off like a transient
    // failure so the row is not retried on every read, and let the caller see the error.
    deps.logger.error("refresh_failed", { provider: row.provider, code: "internal", error: (err as Error)?.name ?? typeof err, sql_error: sqlState(err) });
    if (leaseHeld) {
      const retryAt = new Date(nowOf(deps).getTime() + Math.max(MIN_RETRY_MS, backoffDelay(Math.min(row.consecutive_failures, 20), RETRY_BACKOFF)));
      if (await recordFailure(deps.sql, row.id, owner, "internal", "the refresh failed inside the service", retryAt, null).catch(() => false)) leaseHeld = false;
    }
    throw err;
  } finally {
    if (leaseHeld) await releaseLease(deps.sql, row.id, owner).catch(() => deps.logger.warn("lease_release_failed", { provider: row.provider, code: "release_failed" }));
  }
}

type Reconciled =
  | { kind: "none" }
  | { kind: "applied"; outcome: Extract<RefreshOutcome, { kind: "refreshed" }> }
  | { kind: "superseded" }
  /** The parked set could not be applied, but its access token is still good: serve it, call nobody. */
  | { kind: "serve"; outcome: Extract<RefreshOutcome, { kind: "refreshed" }> }
  /** The parked set could not be applied: refresh with its (newest) refresh token instead of the row's. */
  | { kind: "use_parked"; row: ConnectionRow };

/**
 * Applies a parked token set (see persist-refreshed.ts) to its connection under `owner`'s lease. Called at
 * the start of every leased refresh, so the next get-token or scheduler claim of the connection reconciles
 * it before any provider call. On `applied` the lease is released (by the apply) and the caller gets the
 * parked tokens as the refresh's outcome.
 */
export async function reconcileParked(deps: EngineDeps, row: ConnectionRow, owner: string): Promise<Reconciled> {
  let applied: Awaited<ReturnType<typeof applyParked>>;
  try {
    applied = await applyParked(deps.sql, row.id, owner);
  } catch (error) {
    // The row still refuses the write: the parked set stays the newest truth for this connection.
    deps.logger.warn("parked_tokens_not_applied", { provider: row.provider, code: "save_failed", sql_error: sqlState(error) });
    const parked = await readParked(deps.sql, row.id);
    if (!parked) return { kind: "none" };
    if (parked.based_on_version !== row.version) return { kind: "superseded" };
    const accessToken = await decryptConnectionToken(deps.ring, row.id, "access_token", parked.access_token);
    if (parked.token_expires_at.getTime() - nowOf(deps).getTime() > 60_000) {
      return {
        kind: "serve",
        outcome: {
          kind: "refreshed", accessToken, tokenType: parked.token_type, scopes: parked.scopes, expiresAt: parked.token_expires_at, durationMs: 0, persisted: "parked",
        },
      };
    }
    return { kind: "use_parked", row: { ...row, refresh_token: parked.refresh_token, encryption_key_id: parked.encryption_key_id } };
  }
  if (applied === "none") return { kind: "none" };
  if (applied === "stale") {
    deps.logger.warn("parked_tokens_discarded", { provider: row.provider, code: "stale" });
    return { kind: "none" };
  }
  if (applied === "not_owner") return { kind: "superseded" };
  const current = await readConnection(deps.sql, row.id);
  if (!current || current.access_token === null || current.token_expires_at === null) return { kind: "superseded" };
  deps.logger.info("parked_tokens_applied", { provider: row.provider });
  return {
    kind: "applied",
    outcome: {
      kind: "refreshed",
      accessToken: await decryptConnectionToken(deps.ring, current.id, "access_token", current.access_token),
      tokenType: current.token_type,
      scopes: current.scopes,
      expiresAt: current.token_expires_at,
      durationMs: 0,
      persisted: "saved",
    },
  };
}

async function recordProviderFailure(
  deps: EngineDeps,
  row: ConnectionRow,
  owner: string,
  err: ProviderError,
  started: number,
  released: () => void,
): Promise<RefreshOutcome> {
  const durationMs = clockOf(deps)() - started;
  const now = nowOf(deps);
  if (err.code === "reauth_required") {
    const current = await readConnection(deps.sql, row.id);
    if (current && current.version !== row.version) {
      deps.logger.warn("refresh_superseded", { provider: row.provider, code: "superseded" });
      return { kind: "superseded" };
    }
  }
  const transition = TRANSITIONS[err.code];
  let retryAt: Date | null = null;
  // A `Retry-After: 0` (or a past date) must not make the row due again at once: the same floor as a backoff.
  if (transition.retry === "retry_after") retryAt = new Date(now.getTime() + Math.max(MIN_RETRY_MS, err.retryAfterMs ?? 60_000));
  if (transition.retry === "backoff") {
    retryAt = new Date(now.getTime() + Math.max(MIN_RETRY_MS, backoffDelay(Math.min(row.consecutive_failures, 20), RETRY_BACKOFF)));
  }
  if (transition.retry === "provider_pause") retryAt = new Date(now.getTime() + MISCONFIGURED_PAUSE_MS);
  if (await recordFailure(deps.sql, row.id, owner, err.code, err.message, retryAt, failureStatus(transition))) released();
  deps.logger.warn("refresh_failed", { provider: row.provider, code: err.code, http_status: err.status, upstream_error: err.error, duration_ms: durationMs });
  await logEvent(deps.sql, { connectionId: row.id, action: "refresh", outcome: "failure", httpStatus: err.status ?? null, errorCode: err.code, durationMs });
  return {
    kind: "failed", code: err.code, retryAt, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    ...(err.rateLimitScope ? { rateLimitScope: err.rateLimitScope } : {}), status: err.status,
  };
}

/**
 * A refresh that lost its write because the connection was disconnected meanwhile minted tokens nobody will
 * ever revoke: the disconnect revoked the ones it could see. Revoke these (best effort, bounded by the token
 * client's timeout) where the provider has a revocation call.
 */
async function revokeIfDisconnected(deps: EngineDeps, provider: ResolvedProvider, row: ConnectionRow, set: RefreshedTokenSet): Promise<void> {
  const current = await readConnection(deps.sql, row.id).catch(() => undefined);
  if (current === undefined || (current !== null && current.status !== "disconnected")) return;
  if (provider.definition.revocation === undefined) return;
  try {
    await revokeTokens(provider, { accessToken: set.accessToken, refreshToken: set.refreshToken }, {
      endpointParams: connectionEndpointParams(row), ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    deps.logger.info("minted_tokens_revoked", { provider: row.provider, reason: "disconnected_during_refresh" });
  } catch (error) {
    deps.logger.warn("minted_tokens_revoke_failed", { provider: row.provider, code: isProviderError(error) ? error.code : "internal" });
  }
}

/** The SQLSTATE of a database error (class and code only, never its message). */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
