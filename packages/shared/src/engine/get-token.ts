import { decryptConnectionToken } from "../crypto/connection-tokens.ts";
import { CryptoError } from "../crypto/crypto-error.ts";
import { isProviderId } from "../providers/provider-ids.ts";
import { resolveIfConfigured } from "../providers/resolve-provider.ts";
import {
  acquireLease, findUserConnection, foundOf, readConnection, releaseLease, type ConnectionRow, type FoundConnection,
} from "./connection-store.ts";
import { clockOf, leaseOf, nowOf, type EngineDeps } from "./engine-deps.ts";
import { reconcileParked, refreshLeased, type RefreshOutcome } from "./refresh-leased.ts";
import { EngineError } from "./engine-error.ts";
import { SingleFlight } from "./single-flight.ts";

/** get-token refreshes a token this close to expiry, so callers never receive one about to lapse. */
export const REFRESH_WINDOW_MS = 60_000;
/** How long a caller waits for another instance's refresh before answering 503. */
export const WAIT_FOR_REFRESH_MS = 15_000;

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_at: string | null;
  scopes: string[];
  provider: string;
  account: string;
}

export interface GetTokenRequest {
  userId: string;
  provider: string;
  account?: string | undefined;
  /** Who asks: the user (their JWT) or a server (the service role key naming the user). */
  by?: "user" | "service";
}

/** One get-token call on a connection that exists, for the access counters (access-counter.ts). */
export interface TokenAccess {
  connectionId: string;
  by: "user" | "service";
  /** served: a token was handed out; refused: the connection was found and no token was handed out. */
  outcome: "served" | "refused";
}

export interface TokenServiceOptions {
  /** Called once per call that found its connection. */
  onAccess?: (access: TokenAccess) => void;
  /**
   * Keeps the instance alive until a refresh finishes even when the caller hangs up
   * (`EdgeRuntime.waitUntil` on Supabase Edge Functions).
   */
  waitUntil?: (work: Promise<unknown>) => void;
}

/**
 * Whether a row is waiting out a failure (backoff, the provider's Retry-After, a provider-wide pause): it
 * failed, and its next attempt is still ahead. A keep-alive date (no failure) does not count.
 */
export function inBackoff(row: Pick<ConnectionRow, "next_attempt_at" | "consecutive_failures" | "last_sync_status">, now: Date): boolean {
  const next = row.next_attempt_at;
  if (!next || next.getTime() <= now.getTime()) return false;
  return row.consecutive_failures > 0 || (row.last_sync_status != null && row.last_sync_status !== "ok");
}

/** A decrypted access token with what the response says about it. */
interface HeldToken {
  accessToken: string;
  expiresAt: Date | null;
  tokenType: string;
  scopes: readonly string[];
}

/** What an answer names of its connection, from the read, the lease or a re-read. */
type Named = Pick<ConnectionRow, "id" | "provider" | "account_id" | "access_token" | "token_expires_at" | "token_type" | "scopes">;

type Fresh = { kind: "token"; row: ConnectionRow; accessToken: string } | { kind: "outcome"; outcome: RefreshOutcome };

/**
 * The read path. Built once per process: it holds the in-process single-flight map, so concurrent callers
 * in one process share one database lease attempt and one provider call.
 */
export function createTokenService(deps: EngineDeps, options: TokenServiceOptions = {}) {
  const flights = new SingleFlight<HeldToken & { row: Named }>();
  const early = new SingleFlight<TokenResponse>();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function respond(row: Named, t: HeldToken): TokenResponse {
    return {
      access_token: t.accessToken,
      token_type: t.tokenType,
      expires_at: t.expiresAt ? t.expiresAt.toISOString() : null,
      scopes: [...t.scopes],
      provider: row.provider,
      account: row.account_id,
    };
  }

  const needsReauth = () => new EngineError("needs_reauth", "the user must reconnect this account");
  const unavailable = (retryAfterMs: number, why: string) => new EngineError("provider_unavailable", why, retryAfterMs);

  function usable(row: Named, now: Date, marginMs: number): boolean {
    return row.access_token !== null && (row.token_expires_at === null || row.token_expires_at.getTime() - now.getTime() > marginMs);
  }

  async function decryptAccess(row: Named): Promise<string> {
    return decryptConnectionToken(deps.ring, row.id, "access_token", row.access_token!);
  }

  function failureToError(outcome: Extract<RefreshOutcome, { kind: "failed" }>): EngineError {
    switch (outcome.code) {
      case "reauth_required":
        return needsReauth();
      case "rate_limited":
        return unavailable(
          outcome.retryAt ? outcome.retryAt.getTime() - nowOf(deps).getTime() : (outcome.retryAfterMs ?? 60_000),
          "the provider is rate limiting token refreshes",
        );
      case "client_misconfigured":
      case "not_configured":
        return unavailable(900_000, "the provider rejected this service's client credentials");
      case "undecryptable":
        return unavailable(900_000, "the stored token cannot be decrypted with the configured keys");
      default:
        return unavailable(
          outcome.retryAt ? outcome.retryAt.getTime() - nowOf(deps).getTime() : 5_000,
          "the provider did not answer the token refresh",
        );
    }
  }

  /** The answer for a row waiting out a failure: 503 until its next attempt, and no provider call. */
  function backingOff(row: Pick<ConnectionRow, "last_sync_status" | "next_attempt_at">, now: Date): EngineError {
    const why = row.last_sync_status === "rate_limited"
      ? "the provider is rate limiting token refreshes"
      : row.last_sync_status === "client_misconfigured" || row.last_sync_status === "not_configured"
        ? "the provider rejected this service's client credentials"
        : "refreshing this token failed recently; the next attempt is scheduled";
    return unavailable(row.next_attempt_at!.getTime() - now.getTime(), why);
  }

  /**
   * Gets a fresh token for an expired (or about to expire) row: take the lease and refresh, or wait for the
   * instance holding it and read what it saved. Bounded by WAIT_FOR_REFRESH_MS.
   */
  async function refreshOrWait(row: FoundConnection, owner: string): Promise<Fresh> {
    const deadline = clockOf(deps)() + WAIT_FOR_REFRESH_MS;
    let pause = 25;
    let current: { id: string } = row;
    let supersededOnce = false;
    for (;;) {
      const leased = await acquireLease(deps.sql, current.id, owner, leaseOf(deps));
      if (leased) {
        const now = nowOf(deps);
        if (leased.status === "needs_reauth" || leased.status === "disconnected") {
          await releaseLease(deps.sql, leased.id, owner);
          if (leased.status === "disconnected") throw new EngineError("not_connected", "no such connection");
          throw needsReauth();
        }
        if (leased.consecutive_failures > row.consecutive_failures) {
          // Another caller's refresh failed while we waited: its backoff holds for us too.
          const latest = await readConnection(deps.sql, leased.id);
          if (latest && inBackoff(latest, now)) {
            await releaseLease(deps.sql, leased.id, owner);
            throw backingOff(latest, now);
          }
        }
        if (usable(leased, now, REFRESH_WINDOW_MS) || leased.refresh_token === null) {
          // Someone refreshed between our read and our lease.
          await releaseLease(deps.sql, leased.id, owner);
          if (!usable(leased, now, 0)) throw needsReauth();
          return { kind: "token", row: leased, accessToken: await decryptAccess(leased) };
        }
        const outcome = await refreshLeased(deps, leased, owner);
        if (outcome.kind !== "superseded" || supersededOnce) return { kind: "outcome", outcome };
        supersededOnce = true;
      } else {
        const latest = await readConnection(deps.sql, current.id);
        if (!latest || latest.status === "disconnected") throw new EngineError("not_connected", "no such connection");
        if (latest.status === "needs_reauth") throw needsReauth();
        if (latest.consecutive_failures > row.consecutive_failures && inBackoff(latest, nowOf(deps))) throw backingOff(latest, nowOf(deps));
        current = latest;
        if (latest.version !== row.version && usable(latest, nowOf(deps), 0)) {
          return { kind: "token", row: latest, accessToken: await decryptAccess(latest) };
        }
      }
      if (clockOf(deps)() > deadline) throw unavailable(5_000, "another instance is still refreshing this token");
      await sleep(pause + Math.random() * pause);
      pause = Math.min(pause * 2, 200);
    }
  }

  /** Runs a refresh so that it finishes even if the caller hangs up (the host's waitUntil, where it has one). */
  function detached<T>(work: Promise<T>): Promise<T> {
    options.waitUntil?.(work.catch(() => {}));
    return work;
  }

  async function refreshShared(row: FoundConnection) {
    return detached(flights.run(row.id, async () => {
      const fresh = await refreshOrWait(row, crypto.randomUUID());
      if (fresh.kind === "token") {
        const r = fresh.row;
        return { accessToken: fresh.accessToken, row: r, expiresAt: r.token_expires_at, tokenType: r.token_type, scopes: r.scopes };
      }
      const o = fresh.outcome;
      if (o.kind === "refreshed") return { accessToken: o.accessToken, row, expiresAt: o.expiresAt, tokenType: o.tokenType, scopes: o.scopes };
      if (o.kind === "failed") throw failureToError(o);
      throw unavailable(2_000, "the token changed while it was being refreshed; try again");
    }));
  }

  // The environment does not change while the process lives: resolve each provider's configuration once.
  const configured = new Map<string, boolean>();
  const isConfigured = (id: string) => {
    let c = configured.get(id);
    if (c === undefined) configured.set(id, (c = resolveIfConfigured(id, deps.env).configured));
    return c;
  };

  return async function getToken(req: GetTokenRequest): Promise<TokenResponse> {
    const by = req.by ?? "user";
    if (!isProviderId(req.provider)) throw new EngineError("unknown_provider", `unknown provider "${req.provider.slice(0, 64)}"`);
    if (!isConfigured(req.provider)) {
      throw new EngineError("provider_not_configured", `provider "${req.provider}" has no client credentials configured`);
    }
    const found = await findUserConnection(deps.sql, req.userId, req.provider, req.account);
    if (found === "ambiguous") {
      throw new EngineError("invalid_request", `"account" is required: this user has several ${req.provider} accounts`);
    }
    if (!found) throw new EngineError("not_connected", "no such connection");
    try {
      const token = await serve(found);
      options.onAccess?.({ connectionId: found.id, by, outcome: "served" });
      return token;
    } catch (error) {
      options.onAccess?.({ connectionId: found.id, by, outcome: "refused" });
      throw error;
    }
  };

  /**
   * Applies a parked token set (refresh-leased.ts, reconcileParked) and answers with it; null when there was
   * nothing to apply or another instance holds the lease (it reconciles; the normal path then waits for it).
   */
  async function reconcileFirst(found: FoundConnection): Promise<TokenResponse | null> {
    const owner = crypto.randomUUID();
    const leased = await acquireLease(deps.sql, found.id, owner, leaseOf(deps));
    if (!leased) return null;
    let released = false;
    try {
      const r = await reconcileParked(deps, leased, owner);
      if (r.kind === "applied") released = true;
      if (r.kind === "applied" || r.kind === "serve") return respond(leased, r.outcome);
      return null;
    } finally {
      if (!released) await releaseLease(deps.sql, found.id, owner);
    }
  }

  async function serve(found: FoundConnection): Promise<TokenResponse> {
    if (found.status === "disconnected" || found.access_token === null) throw new EngineError("not_connected", "no such connection");
    if (found.status === "needs_reauth" || found.status === "error") throw needsReauth();
    // Neither token of a row whose key left the ring can be read: say which key, rather than a provider outage.
    if (found.encryption_key_id && !deps.ring.has(found.encryption_key_id)) {
      throw new CryptoError("key_unavailable", "the stored token's key id is not in the key ring", found.encryption_key_id);
    }

    const now = nowOf(deps);
    if (found.has_pending === true) {
      // A refreshed set is parked (its save failed): apply it under the lease before serving anything.
      const reconciled = await reconcileFirst(found);
      if (reconciled) return reconciled;
      const latest = await readConnection(deps.sql, found.id);
      if (!latest) throw new EngineError("not_connected", "no such connection");
      return serve(foundOf(latest, false));
    }
    if (usable(found, now, REFRESH_WINDOW_MS)) {
      return respond(found, { accessToken: await decryptAccess(found), expiresAt: found.token_expires_at, tokenType: found.token_type, scopes: found.scopes });
    }
    if (!found.has_refresh_token) {
      if (usable(found, now, 0)) {
        return respond(found, { accessToken: await decryptAccess(found), expiresAt: found.token_expires_at, tokenType: found.token_type, scopes: found.scopes });
      }
      throw needsReauth();
    }
    if (inBackoff(found, now)) {
      // A failing connection is not retried before its next attempt, whoever asks: a valid token is served,
      // an expired one answers 503 with Retry-After, and the provider hears nothing.
      if (usable(found, now, 0)) {
        return respond(found, { accessToken: await decryptAccess(found), expiresAt: found.token_expires_at, tokenType: found.token_type, scopes: found.scopes });
      }
      throw backingOff(found, now);
    }
    if (usable(found, now, 0)) {
      // Inside the window but still valid: one caller refreshes; the others, in this process or another,
      // get the still-valid token without waiting, and so does the refreshing caller if the refresh fails.
      const stillValid = respond(found, {
        accessToken: await decryptAccess(found), expiresAt: found.token_expires_at, tokenType: found.token_type, scopes: found.scopes,
      });
      if (flights.has(found.id) || early.has(found.id)) return stillValid;
      return detached(early.run(found.id, async () => {
        const owner = crypto.randomUUID();
        const leased = await acquireLease(deps.sql, found.id, owner, leaseOf(deps));
        if (!leased) return stillValid;
        if (leased.version !== found.version || leased.refresh_token === null) {
          await releaseLease(deps.sql, found.id, owner);
          return stillValid;
        }
        const outcome = await refreshLeased(deps, leased, owner);
        return outcome.kind === "refreshed" ? respond(found, outcome) : stillValid;
      }));
    }
    const t = await refreshShared(found);
    return respond(t.row, t);
  }
}
