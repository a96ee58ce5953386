import { keepAliveAt } from "../oauth/keepalive.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";

/**
 * When a new connection's tokens lapse and when the scheduler should next look at it.
 *
 * - A token the provider gave no expiry for, from a provider whose tokens may never expire (GitHub OAuth
 *   apps, Shopify non-expiring offline tokens: catalog `accessTokenExpiry: "optional"`), gets no
 *   `token_expires_at`; `next_attempt_at` is set to now + the catalog's validation interval, so the scheduler
 *   validates it then instead of refreshing it on a guessed expiry.
 * - Any other token expires at the response's expiry (or the assumed one the token client computed); when
 *   that is later than the keep-alive date of a refresh token that dies unused (the engine's `keepAliveAt`),
 *   `next_attempt_at` brings the row back at that date, as after a refresh.
 * - `refresh_token_expires_at`: the response's value, else the catalog's hard cap from consent
 *   (`refreshTokenMaxAgeSeconds`: Spotify 6 months, LinkedIn 365 days, Intuit 5 years), so the UI can show
 *   "reconnect before".
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
 */
export function connectionTiming(
  provider: ResolvedProvider,
  tokens: TokenSet,
  now: Date,
  keepAliveDays?: number,
): { tokenExpiresAt: Date | null; nextAttemptAt: Date | null; refreshTokenExpiresAt: Date | null } {
  const { tokens: policy, validation } = provider.definition;
  const nonExpiring = tokens.expiresAtAssumed && policy.accessTokenExpiry === "optional" && validation !== undefined;
  const cap = policy.refreshTokenMaxAgeSeconds;
  return {
    tokenExpiresAt: nonExpiring ? null : tokens.expiresAt,
    nextAttemptAt: nonExpiring
      ? new Date(now.getTime() + validation.intervalSeconds * 1000)
      : tokens.refreshToken === undefined
        ? null
        : keepAliveAt(policy.refreshTokenIdleSeconds, tokens.expiresAt, now, keepAliveDays),
    refreshTokenExpiresAt:
      tokens.refreshTokenExpiresAt ?? (tokens.refreshToken !== undefined && cap !== undefined ? new Date(now.getTime() + cap * 1000) : null),
  };
}
