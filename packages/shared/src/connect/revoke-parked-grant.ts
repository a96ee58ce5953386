import type { KeyRing } from "../crypto/key-ring.ts";
import { ProviderError } from "../oauth/provider-error.ts";
import { revokeTokens } from "../oauth/token-client.ts";
import type { FetchLike } from "../oauth/send-provider-request.ts";
import { isProviderId } from "../providers/provider-ids.ts";
import { PROVIDER_CATALOG } from "../providers/catalog.ts";
import { resolveIfConfigured, type ProviderEnv } from "../providers/resolve-provider.ts";
import { connectionEndpointParams } from "../providers/provider-hooks.ts";
import { openGrant } from "./parked-grant.ts";

/**
 * A claimed `oauth_parked_grants` row (the columns revocation and storing need).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export interface ParkedGrantRow {
  readonly id: string;
  readonly user_id: string;
  readonly provider: string;
  readonly account_id: string;
  readonly sealed_grant: string;
  readonly metadata: Record<string, unknown>;
  readonly expires_at: Date;
}

/**
 * What became of a discarded grant at its provider: `revoked`, `unsupported` (the provider has no revocation
 * call: the tokens are forgotten and die of age), or `failed` with a reason (never a token).
 */
export type GrantRevocation =
  | { readonly outcome: "revoked" | "unsupported" }
  | { readonly outcome: "failed"; readonly reason: string; readonly status?: number | undefined };

/**
 * Revokes a discarded parked grant at its provider (the refresh token where the provider revokes the whole
 * grant with it). Never throws: the grant is already deleted, so the outcome is only reported.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export async function revokeParkedGrant(
  deps: { readonly env: ProviderEnv; readonly keyRing: () => Promise<KeyRing>; readonly fetch?: FetchLike | undefined },
  row: ParkedGrantRow,
): Promise<GrantRevocation> {
  if (!isProviderId(row.provider)) return { outcome: "failed", reason: "unknown_provider" };
  if (PROVIDER_CATALOG[row.provider].revocation === undefined) return { outcome: "unsupported" };
  const resolved = resolveIfConfigured(row.provider, deps.env);
  if (!resolved.configured) return { outcome: "failed", reason: "provider_not_configured" };
  let tokens: Awaited<ReturnType<typeof openGrant>>;
  try {
    tokens = await openGrant(await deps.keyRing(), row.id, row.sealed_grant);
  } catch {
    return { outcome: "failed", reason: "decrypt_failed" };
  }
  try {
    await revokeTokens(
      resolved.provider,
      { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken },
      { endpointParams: connectionEndpointParams(row), fetch: deps.fetch },
    );
    return { outcome: "revoked" };
  } catch (error) {
    if (error instanceof ProviderError) return { outcome: "failed", reason: error.code, status: error.status };
    return { outcome: "failed", reason: (error as Error)?.name === "TypeError" ? "request_invalid" : "unexpected" };
  }
}
