import type { Sql } from "../db/create-sql.ts";
import { decryptConnectionToken } from "../crypto/connection-tokens.ts";
import { ApiError } from "../http/api-error.ts";
import { optionalString, rejectUnknownFields, requiredString } from "../http/fields.ts";
import { userRef } from "../log/logger.ts";
import { ProviderError } from "../oauth/provider-error.ts";
import { revokeTokens } from "../oauth/token-client.ts";
import { PROVIDER_CATALOG } from "../providers/catalog.ts";
import { isProviderId, type ProviderId } from "../providers/provider-ids.ts";
import { resolveIfConfigured } from "../providers/resolve-provider.ts";
import type { ConnectDeps } from "./connect-deps.ts";
import { connectionEndpointParams } from "../providers/provider-hooks.ts";

/** How long a disconnect waits for a refresh in flight to give the lease back. */
export const DISCONNECT_LEASE_WAIT_MS = 5_000;
/** The lease a disconnect takes: longer than the revocation call's 10 s bound. */
export const DISCONNECT_LEASE_SECONDS = 60;

interface TokenPair {
  access_token: string | null;
  refresh_token: string | null;
}

/** What a disconnect reads of a row: enough to revoke its tokens at the provider. */
interface RevocableRow {
  id: string;
  provider: string;
  account_id: string;
  access_token: string | null;
  refresh_token: string | null;
  metadata: Record<string, unknown>;
}

/**
 * How the provider-side revocation went: `revoked` (or already invalid), `unsupported` (the provider has no
 * revocation endpoint: Spotify, Etsy, LinkedIn, Microsoft, Lightspeed), `skipped` (no token left to revoke),
 * `failed` (audited; the disconnect goes ahead).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export type RevocationOutcome = "revoked" | "unsupported" | "skipped" | "failed";

/**
 * disconnect: revokes the grant at the provider where it can (RFC 7009 or the provider's own call; best
 * effort, bounded by the token client's timeout), then wipes the token columns and marks the row
 * `disconnected`. Only the caller's own live connections are found: anyone else's is `not_connected`, exactly
 * like one that does not exist.
 *
 * Against a refresh in flight: the disconnect takes the row's refresh lease (`acquire_refresh_lease`),
 * waiting up to {@link DISCONNECT_LEASE_WAIT_MS} for a holder to finish, so it revokes the newest tokens and no
 * refresh starts while it revokes. If the lease is still held after that, it goes ahead without it: the wipe
 * is unconditional (a disconnect wins), and the refresh's later write-back fails its compare-and-set because
 * the wipe bumped the row's version (`record_refresh_failure` also keeps `disconnected`). Nothing the refresh
 * minted stays alive at the provider: tokens saved after our read are returned by the wipe and revoked, a
 * parked set (pending_token_sets) is deleted and revoked, and a refresh whose save loses to the wipe revokes
 * its own new tokens (engine/refresh-leased.ts).
 *
 * @throws ApiError `invalid_request`, `unknown_provider`, `not_connected`.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
export async function disconnectConnection(
  deps: ConnectDeps,
  userId: string,
  body: Record<string, unknown>,
): Promise<{ disconnected: true; revocation: RevocationOutcome }> {
  rejectUnknownFields(body, ["provider", "account"]);
  const providerId = requiredString(body, "provider", 64);
  if (!isProviderId(providerId)) throw new ApiError("unknown_provider", `unknown provider "${providerId.slice(0, 64)}"`);
  const account = optionalString(body, "account", 255);
  const { sql } = deps;

  const candidates = await sql<{ id: string }[]>`
    select id from public.platform_connections
    where user_id = ${userId} and provider = ${providerId} and status <> 'disconnected'
      ${account === undefined ? sql`` : sql`and account_id = ${account}`}
    order by connected_at
    limit 2`;
  if (candidates.length === 0) throw new ApiError("not_connected", `no ${providerId} connection${account === undefined ? "" : ` for "account" ${JSON.stringify(account)}`}`);
  if (candidates.length > 1) throw new ApiError("invalid_request", `"account" is required: there is more than one ${providerId} connection`);
  const id = candidates[0]!.id;

  const started = Date.now();
  const owner = crypto.randomUUID();
  const leased = await takeLease(sql, id, owner);
  const row = leased ?? (await sql<RevocableRow[]>`
    select id, provider, account_id, access_token, refresh_token, metadata
    from public.platform_connections where id = ${id}`)[0];
  if (row === undefined) throw new ApiError("not_connected", `no ${providerId} connection`);

  let revocation: Awaited<ReturnType<typeof revoke>>;
  let wiped: TokenPair[];
  try {
    revocation = await revoke(deps, providerId, row);
    // Unconditional on purpose: whatever a refresh did meanwhile, the user asked for the tokens to go. The
    // wipe returns what it wiped: a refresh that saved after our read (we could not take its lease) left newer
    // tokens than the ones revoked above, and those are revoked too.
    wiped = await sql<TokenPair[]>`
      with old as (
        select id, access_token, refresh_token from public.platform_connections
        where id = ${id} and user_id = ${userId}
        for update
      )
      update public.platform_connections as c
      set access_token = null,
          refresh_token = null,
          encryption_key_id = null,
          status = 'disconnected',
          token_expires_at = null,
          refresh_token_expires_at = null,
          next_attempt_at = null,
          consecutive_failures = 0,
          last_sync_status = 'disconnected',
          last_sync_error = null,
          lease_owner = null,
          lease_expires_at = null
      from old
      where c.id = old.id
      returning old.access_token, old.refresh_token`;
  } finally {
    // The wipe clears the lease; if it never ran, give the lease back rather than block refreshes for a minute.
    if (leased !== undefined) await sql`select provider_tokens.release_refresh_lease(${id}, ${owner})`.catch(() => {});
  }
  // A refreshed set parked because its save failed (engine/persist-refreshed.ts) is a live grant too. This
  // runs after the wipe: nothing parks once the version moved, and a park in flight held the wipe back.
  const parked = await sql<TokenPair[]>`
    delete from public.pending_token_sets where connection_id = ${id} returning access_token, refresh_token`;
  const later = [...wiped, ...parked].filter((t) => t.refresh_token !== row.refresh_token || t.access_token !== row.access_token);
  let laterRevocations = 0;
  for (const tokens of later) {
    const r = await revoke(deps, providerId, { ...row, ...tokens });
    if (r.outcome === "revoked") laterRevocations += 1;
    if (r.outcome === "failed") await logEvent(sql, id, "failure", r.status, "revocation_failed", Date.now() - started);
  }

  const duration = Date.now() - started;
  if (revocation.outcome === "failed") {
    await logEvent(sql, id, "failure", revocation.status, "revocation_failed", duration);
  }
  await logEvent(sql, id, "success", undefined, undefined, duration);
  deps.logger.info("disconnected", {
    provider: providerId,
    user: await userRef(userId),
    revocation: revocation.outcome,
    reason: revocation.reason,
    lease: leased === undefined ? "not_taken" : "taken",
    revoked_later: laterRevocations,
    duration_ms: duration,
  });
  return { disconnected: true, revocation: revocation.outcome };
}

async function takeLease(sql: Sql, id: string, owner: string): Promise<RevocableRow | undefined> {
  const deadline = Date.now() + DISCONNECT_LEASE_WAIT_MS;
  for (;;) {
    const [row] = await sql<RevocableRow[]>`
      select id, provider, account_id, access_token, refresh_token, metadata
      from provider_tokens.acquire_refresh_lease(${id}, ${owner}, ${DISCONNECT_LEASE_SECONDS})`;
    if (row !== undefined || Date.now() >= deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function revoke(
  deps: ConnectDeps,
  providerId: ProviderId,
  row: RevocableRow,
): Promise<{ outcome: RevocationOutcome; status?: number | undefined; reason?: string | undefined }> {
  if (PROVIDER_CATALOG[providerId].revocation === undefined) return { outcome: "unsupported" };
  if (row.access_token === null && row.refresh_token === null) return { outcome: "skipped" };
  const resolved = resolveIfConfigured(providerId, deps.env);
  if (!resolved.configured) return { outcome: "failed", reason: "provider_not_configured" };
  let accessToken: string | undefined;
  let refreshToken: string | undefined;
  try {
    const ring = await deps.keyRing();
    if (row.access_token !== null) accessToken = await decryptConnectionToken(ring, row.id, "access_token", row.access_token);
    if (row.refresh_token !== null) refreshToken = await decryptConnectionToken(ring, row.id, "refresh_token", row.refresh_token);
  } catch {
    return { outcome: "failed", reason: "decrypt_failed" };
  }
  try {
    await revokeTokens(resolved.provider, { accessToken, refreshToken }, { endpointParams: connectionEndpointParams(row), fetch: deps.fetch });
    return { outcome: "revoked" };
  } catch (error) {
    if (error instanceof ProviderError) return { outcome: "failed", status: error.status, reason: error.code };
    return { outcome: "failed", reason: (error as Error)?.name === "TypeError" ? "request_invalid" : "unexpected" };
  }
}

async function logEvent(
  sql: Sql,
  id: string,
  outcome: "success" | "failure",
  status: number | undefined,
  errorCode: string | undefined,
  durationMs: number,
): Promise<void> {
  await sql`
    select provider_tokens.log_token_event(${id}::uuid, 'disconnect', ${outcome}, ${status ?? null}::integer, ${errorCode ?? null}::text, ${durationMs}::integer)`;
}
