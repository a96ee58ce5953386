import { userRef } from "../log/logger.ts";
import { isProviderId } from "../providers/provider-ids.ts";
import type { ConnectDeps } from "./connect-deps.ts";
import { revokeParkedGrant, type ParkedGrantRow } from "./revoke-parked-grant.ts";

/**
 * What one sweep did.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export interface SweepSummary {
  readonly swept: number;
  readonly revoked: number;
  readonly unsupported: number;
  readonly failed: number;
  readonly duration_ms: number;
}

/** Grants taken per sweep; the job runs every 5 minutes and expired grants are rare. */
export const SWEEP_BATCH = 100;
const REVOKE_CONCURRENCY = 8;

/**
 * Revokes and deletes parked grants nobody claimed within their 10 minutes (oauth-callback's `POST
 * { "sweep": "expired_grants" }` with the service key, which the pg_cron job revoke-expired-parked-grants
 * sends every 5 minutes). Each grant is deleted as it is taken (`claim_expired_parked_grants`: overlapping sweeps never share a row),
 * then revoked at its provider, at most 8 at a time; a failed revocation is logged and audited, the grant is
 * gone either way.
 */
export async function sweepExpiredGrants(deps: ConnectDeps, limit = SWEEP_BATCH): Promise<SweepSummary> {
  const started = Date.now();
  const rows = await deps.sql<ParkedGrantRow[]>`
    select id, user_id, provider, account_id, sealed_grant, metadata, expires_at
    from provider_tokens.claim_expired_parked_grants(${limit})`;
  let revoked = 0;
  let unsupported = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      const result = await revokeParkedGrant(deps, row);
      if (result.outcome === "revoked") revoked += 1;
      else if (result.outcome === "unsupported") unsupported += 1;
      else failed += 1;
      await deps.sql`
        select provider_tokens.log_token_event(
          null::uuid, 'connect', 'failure', ${result.outcome === "failed" ? (result.status ?? null) : null}::integer,
          'unclaimed', null::integer, ${row.user_id}::uuid, ${isProviderId(row.provider) ? row.provider : null}::text)`.catch(() => {});
      deps.logger.info("parked_grant_expired", {
        provider: row.provider,
        user: await userRef(row.user_id),
        revocation: result.outcome,
        revocation_reason: result.outcome === "failed" ? result.reason : undefined,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(REVOKE_CONCURRENCY, rows.length) }, worker));
  return { swept: rows.length, revoked, unsupported, failed, duration_ms: Date.now() - started };
}
