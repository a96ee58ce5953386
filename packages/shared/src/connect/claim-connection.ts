import type { Sql } from "../db/create-sql.ts";
import { keepAliveDaysFromEnv } from "../oauth/keepalive.ts";
import { ApiError } from "../http/api-error.ts";
import { rejectUnknownFields } from "../http/fields.ts";
import { userRef } from "../log/logger.ts";
import { isProviderId, type ProviderId } from "../providers/provider-ids.ts";
import { resolveIfConfigured } from "../providers/resolve-provider.ts";
import type { ConnectDeps } from "./connect-deps.ts";
import { connectionMetadata } from "../providers/provider-hooks.ts";
import { connectIdHashHex, connectIdRef, isWellFormedConnectId, openGrant } from "./parked-grant.ts";
import { revokeParkedGrant, type GrantRevocation, type ParkedGrantRow } from "./revoke-parked-grant.ts";
import { saveConnection } from "./save-connection.ts";

/**
 * What oauth-complete answers to the user who started the flow.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export interface ClaimResult {
  readonly provider: string;
  readonly account: string;
  readonly status: "connected";
}

const UNUSABLE = '"connect" is unknown, expired or already used';

type Claim =
  | { readonly kind: "unknown" }
  | { readonly kind: "refused"; readonly row: ParkedGrantRow; readonly reason: "other_user" | "expired" }
  | { readonly kind: "stored"; readonly row: ParkedGrantRow; readonly connectionId: string; readonly reconnected: boolean };

/**
 * oauth-complete: turns a parked grant into a connection, for the user who started the flow only.
 *
 * The claim and the save are one transaction: the grant is deleted as it is read (`claim_parked_grant`), so
 * it is claimed at most once, and a failed save rolls the deletion back (the page may retry). A grant that
 * another user presents, or that has expired, is deleted for good and revoked at its provider at once:
 * whoever holds another user's connect id was handed someone else's consent (a forwarded authorization URL),
 * and neither of them may have it afterwards.
 *
 * @throws ApiError `invalid_request` (malformed, unknown, expired or used id: 400), `forbidden` (another
 *   user's grant: 403), `provider_not_configured`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export async function claimConnection(deps: ConnectDeps, userId: string, body: Record<string, unknown>): Promise<ClaimResult> {
  rejectUnknownFields(body, ["connect"]);
  const connectId = body["connect"];
  if (connectId === undefined || connectId === null) throw new ApiError("invalid_request", '"connect" is required');
  if (typeof connectId !== "string") throw new ApiError("invalid_request", '"connect" must be a string');
  if (!isWellFormedConnectId(connectId)) {
    throw new ApiError("invalid_request", '"connect" must be the 43-character id oauth-callback appended to redirect_to');
  }
  const hash = await connectIdHashHex(connectId);
  const ref = await connectIdRef(connectId);
  const ring = await deps.keyRing();
  const started = Date.now();

  const claim = await deps.sql.begin(async (tx): Promise<Claim> => {
    const [row] = await tx<(ParkedGrantRow & { expired: boolean })[]>`
      select id, user_id, provider, account_id, sealed_grant, metadata, expires_at, expires_at <= now() as expired
      from provider_tokens.claim_parked_grant(decode(${hash}, 'hex'))`;
    if (row === undefined) return { kind: "unknown" };
    if (row.user_id.toLowerCase() !== userId.toLowerCase()) return { kind: "refused", row, reason: "other_user" };
    if (row.expired) return { kind: "refused", row, reason: "expired" };
    if (!isProviderId(row.provider)) throw new Error("a parked grant names an unknown provider");
    const resolved = resolveIfConfigured(row.provider, deps.env);
    if (!resolved.configured) {
      throw new ApiError("provider_not_configured", `provider "${row.provider}" is not configured`);
    }
    const tokens = await openGrant(ring, row.id, row.sealed_grant);
    const saved = await saveConnection(tx as unknown as Sql, ring, {
      userId: row.user_id,
      provider: resolved.provider,
      accountId: row.account_id,
      tokens,
      metadata: { ...connectionMetadata(resolved.provider.id, row.account_id), ...stringValues(row.metadata) },
      now: new Date(),
      keepAliveDays: keepAliveDaysFromEnv(deps.env),
    });
    return { kind: "stored", row, connectionId: saved.id, reconnected: saved.reconnected };
  });

  if (claim.kind === "unknown") {
    deps.logger.info("connect_claim_unknown", { connect: ref, user: await userRef(userId) });
    throw new ApiError("invalid_request", UNUSABLE);
  }
  const { row } = claim;
  if (claim.kind === "refused") {
    const revocation = await revokeParkedGrant(deps, row);
    const code = claim.reason === "other_user" ? "forbidden" : "expired";
    await audit(deps.sql, row, "failure", code, Date.now() - started, revocation).catch(() => {});
    deps.logger.warn("connect_claim_refused", {
      connect: ref,
      provider: row.provider,
      reason: claim.reason,
      starter: await userRef(row.user_id),
      caller: await userRef(userId),
      revocation: revocation.outcome,
      revocation_reason: revocation.outcome === "failed" ? revocation.reason : undefined,
    });
    if (claim.reason === "other_user") {
      throw new ApiError("forbidden", "this connection was started by another user; it has been discarded and revoked");
    }
    throw new ApiError("invalid_request", UNUSABLE);
  }
  await audit(deps.sql, row, "success", undefined, Date.now() - started, undefined, claim.connectionId).catch(() => {
    deps.logger.warn("audit_failed", { provider: row.provider, action: "connect" });
  });
  deps.logger.info("connected", {
    connect: ref,
    provider: row.provider,
    user: await userRef(userId),
    reconnected: claim.reconnected,
    duration_ms: Date.now() - started,
  });
  return { provider: row.provider, account: row.account_id, status: "connected" };
}

function stringValues(metadata: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"));
}

async function audit(
  sql: Sql,
  row: ParkedGrantRow,
  outcome: "success" | "failure",
  errorCode: string | undefined,
  durationMs: number,
  revocation?: GrantRevocation,
  connectionId?: string,
): Promise<void> {
  const provider = isProviderId(row.provider) ? (row.provider as ProviderId) : null;
  const status = revocation?.outcome === "failed" ? (revocation.status ?? null) : null;
  await sql`
    select provider_tokens.log_token_event(
      ${connectionId ?? null}::uuid, 'connect', ${outcome}, ${status}::integer, ${errorCode ?? null}::text,
      ${Math.max(0, Math.round(durationMs))}::integer, ${row.user_id}::uuid, ${provider}::text)`;
}
