import { carryRefreshToken, decryptConnectionToken, encryptConnectionTokens } from "../db/connection-tokens.ts";
import { backoffDelay } from "../oauth/backoff-delay.ts";
import { isProviderError, type ProviderErrorCode, type RateLimitScope } from "../oauth/provider-error.ts";
import { refreshTokens } from "../oauth/token-client.ts";
import { tryResolveProvider } from "../providers/resolve-provider.ts";
import { logEvent, readConnection, recordFailure, saveRefreshed, type ConnectionRow } from "./connection-store.ts";
import { endpointParamsOf, nowOf, type EngineDeps } from "./engine-deps.ts";
import { keepAliveAt, keepAliveDaysFromEnv } from "./keepalive.ts";
import { MISCONFIGURED_PAUSE_MS, TRANSITIONS } from "./transitions.ts";

/** Retry backoff of a failing connection: full jitter, 30 s base, capped at one hour. */
export const RETRY_BACKOFF = { baseMs: 30_000, capMs: 3_600_000 } as const;

export type RefreshOutcome =
  | {
    kind: "refreshed";
    accessToken: string;
    tokenType: string;
    scopes: readonly string[];
    expiresAt: Date;
    durationMs: number;
  }
  /** Another writer changed the row while we held it (a rotation by another instance, a reconnect): re-read it. */
  | { kind: "superseded" }
  | {
    kind: "failed";
    code: ProviderErrorCode | "not_configured" | "undecryptable";
    /** When the row becomes due again; null when the user must reconnect. */
    retryAt: Date | null;
    retryAfterMs?: number;
    /** For `rate_limited`: whose limit it was (the scheduler pauses the provider only for `provider`). */
    rateLimitScope?: RateLimitScope;
    status: number | undefined;
  };

/**
 * Refreshes one connection whose lease `owner` holds: provider call, then compare-and-set save at once
 * (a rotated refresh token is persisted before anything else happens), or the failure recorded as the
 * transition table says. Releases the lease either way.
 *
 * After `reauth_required` the row is read again: if its version moved, another instance refreshed first
 * (our refresh token was already spent) and the caller should use the new tokens instead.
 */
export async function refreshLeased(deps: EngineDeps, row: ConnectionRow, owner: string): Promise<RefreshOutcome> {
  const started = Date.now();
  const resolved = tryResolveProvider(row.provider, deps.env);
  if (!resolved.configured) {
    const retryAt = new Date(nowOf(deps).getTime() + MISCONFIGURED_PAUSE_MS);
    await recordFailure(deps.sql, row.id, owner, "not_configured", "the provider has no client credentials configured", retryAt, null);
    return { kind: "failed", code: "not_configured", retryAt, status: undefined };
  }
  const provider = resolved.provider;

  let refreshToken: string;
  try {
    refreshToken = await decryptConnectionToken(deps.ring, row.id, "refresh_token", row.refresh_token!);
  } catch {
    // A key missing from TOKEN_ENCRYPTION_KEYS is an operator fault, not the user's: keep the row, try later.
    const retryAt = new Date(nowOf(deps).getTime() + MISCONFIGURED_PAUSE_MS);
    deps.logger.error("refresh_token_undecryptable", { provider: row.provider, key_id: row.encryption_key_id });
    await recordFailure(deps.sql, row.id, owner, "undecryptable", "the stored refresh token cannot be decrypted with the configured keys", retryAt, null);
    return { kind: "failed", code: "undecryptable", retryAt, status: undefined };
  }

  try {
    const set = await refreshTokens(provider, refreshToken, {
      endpointParams: endpointParamsOf(row.metadata),
      scopes: row.scopes,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    const enc = await encryptConnectionTokens(deps.ring, row.id, {
      accessToken: set.accessToken,
      refreshToken: set.refreshTokenRotated ? set.refreshToken : undefined,
    });
    const storedRefresh = enc.refreshToken ?? (await carryRefreshToken(deps.ring, row.id, row.refresh_token!));
    const saved = await saveRefreshed(deps.sql, {
      id: row.id,
      owner,
      expectedVersion: row.version,
      accessToken: enc.accessToken,
      refreshToken: storedRefresh,
      keyId: enc.keyId,
      expiresAt: set.expiresAt,
      refreshTokenExpiresAt: set.refreshTokenExpiresAt ?? row.refresh_token_expires_at,
      scopes: set.scopes,
      tokenType: set.tokenType,
    });
    const durationMs = Date.now() - started;
    if (!saved) {
      // Only possible if our lease was taken over or the row was rewritten (disconnect, reconnect) meanwhile.
      deps.logger.error("refresh_not_saved", { provider: row.provider, rotated: set.refreshTokenRotated });
      return { kind: "superseded" };
    }
    const keepAlive = keepAliveAt(provider.definition.tokens.refreshTokenIdleSeconds, set.expiresAt, nowOf(deps), keepAliveDaysFromEnv(deps.env));
    if (keepAlive) await deps.sql`select public.schedule_keepalive(${row.id}, ${keepAlive})`;
    deps.logger.info("refreshed", { provider: row.provider, rotated: set.refreshTokenRotated, duration_ms: durationMs });
    await logEvent(deps.sql, { connectionId: row.id, action: "refresh", outcome: "success", durationMs });
    return { kind: "refreshed", accessToken: set.accessToken, tokenType: set.tokenType, scopes: set.scopes, expiresAt: set.expiresAt, durationMs };
  } catch (err) {
    if (!isProviderError(err)) throw err;
    const durationMs = Date.now() - started;
    const now = nowOf(deps);
    if (err.code === "reauth_required") {
      const current = await readConnection(deps.sql, row.id);
      if (current && current.version !== row.version) {
        deps.logger.warn("refresh_superseded", { provider: row.provider });
        return { kind: "superseded" };
      }
    }
    const transition = TRANSITIONS[err.code];
    let retryAt: Date | null = null;
    if (transition.retry === "retry_after") retryAt = new Date(now.getTime() + (err.retryAfterMs ?? 60_000));
    if (transition.retry === "backoff") retryAt = new Date(now.getTime() + Math.max(5_000, backoffDelay(row.consecutive_failures, RETRY_BACKOFF)));
    if (transition.retry === "provider_pause") retryAt = new Date(now.getTime() + MISCONFIGURED_PAUSE_MS);
    await recordFailure(deps.sql, row.id, owner, err.code, err.message, retryAt, transition.status === "needs_reauth" ? "needs_reauth" : null);
    deps.logger.warn("refresh_failed", { provider: row.provider, code: err.code, http_status: err.status, upstream_error: err.error, duration_ms: durationMs });
    await logEvent(deps.sql, { connectionId: row.id, action: "refresh", outcome: "failure", httpStatus: err.status ?? null, errorCode: err.code, durationMs });
    return { kind: "failed", code: err.code, retryAt, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}), ...(err.rateLimitScope ? { rateLimitScope: err.rateLimitScope } : {}), status: err.status };
  }
}
