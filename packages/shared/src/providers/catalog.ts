import type { ProviderId } from "./provider-ids.ts";
import { providerEntrySchema, type ProviderDefinition, type ProviderEntry } from "./provider-definition.ts";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

const GOOGLE_RATE_DOCS = "https://developers.google.com/workspace/gmail/api/guides/handle-errors";

/**
 * Google's behaviour, shared by `google`, `youtube`, `gmail` and `google_calendar` (they differ in name, docs,
 * environment prefix and default scopes). Google never returns a new RT on refresh; RTs die after six months
 * unused; `access_type=offline&prompt=consent` is what yields an RT.
 *
 * Rate limits: Google's API error guides tell two 403s apart. "User-rate limit exceeded" (reason
 * `userRateLimitExceeded`) is the per-user limit: only that user's connection waits (`scope: "connection"`).
 * "Rate Limit Exceeded" (reason `rateLimitExceeded`) and a 429 are the project's limits, shared by every user
 * of this app: the provider waits (`scope: "provider"`). The per-user rule comes first, because its body also
 * contains "RateLimitExceeded".
 *
 * @see https://developers.google.com/workspace/gmail/api/guides/handle-errors
 * @see https://developers.google.com/identity/protocols/oauth2/web-server#offline
 * @see https://developers.google.com/identity/protocols/oauth2#expiration
 */
const google = {
  displayName: "Google",
  docs: "https://developers.google.com/identity/protocols/oauth2/web-server",
  endpoints: {
    authorize: "https://accounts.google.com/o/oauth2/v2/auth",
    token: "https://oauth2.googleapis.com/token",
    revoke: "https://oauth2.googleapis.com/revoke",
    api: "https://www.googleapis.com/oauth2/v3",
  },
  authorization: { defaultScopes: ["openid", "email"], params: { access_type: "offline", prompt: "consent" } },
  tokens: { rotation: { kind: "none" }, refreshTokenIdleSeconds: 180 * DAY },
  validation: {
    // tokeninfo takes the token as a form field, keeping it out of URLs and logs.
    call: {
      method: "POST",
      path: "/tokeninfo",
      auth: "none",
      body: "form_access_token",
      docs: "https://developers.google.com/identity/sign-in/web/backend-auth#calling-the-tokeninfo-endpoint",
    },
    invalidStatuses: [400, 401],
  },
  revocation: { clientAuth: "omit", docs: "https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke" },
  identity: {
    source: "api",
    call: { path: "/userinfo", docs: "https://developers.google.com/identity/openid-connect/openid-connect#obtaininguserprofileinformation" },
    idField: "sub",
  },
  rateLimit: { docs: GOOGLE_RATE_DOCS },
  errorRules: [
    { status: [403], match: "User-rate limit exceeded", code: "rate_limited", scope: "connection", docs: GOOGLE_RATE_DOCS },
    { status: [403], match: "userRateLimitExceeded", code: "rate_limited", scope: "connection", docs: GOOGLE_RATE_DOCS },
    { status: [403], match: "rateLimitExceeded", code: "rate_limited", scope: "provider", docs: GOOGLE_RATE_DOCS },
  ],
} as const satisfies ProviderEntry;

/**
 * The provider catalog as written: each entry states only where its provider differs from
 * {@link PROVIDER_DEFAULTS} (provider-definition.ts); {@link PROVIDER_CATALOG} resolves them. One entry per
 * contract id, keyed by it; each entry links its provider's documentation. Values no primary source confirmed
 * are defaults chosen conservatively (docs/providers.md).
 *
 * @see docs/providers.md
 */
export const RAW_PROVIDER_CATALOG: Record<ProviderId, ProviderEntry> = {
  /**
   * Spotify: Basic auth on the token endpoint; `invalid_client` comes with HTTP 400; may return a new RT; RTs
   * are capped at six months from consent.
   * @see https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens
   */
  spotify: {
    displayName: "Spotify",
    docs: "https://developer.spotify.com/documentation/web-api/tutorials/code-flow",
    endpoints: {
      authorize: "https://accounts.spotify.com/authorize",
      token: "https://accounts.spotify.com/api/token",
      api: "https://api.spotify.com/v1",
    },
    oauth: { clientAuth: "client_secret_basic" },
    authorization: { defaultScopes: ["user-read-email", "user-read-private"] },
    tokens: { rotation: { kind: "may_rotate" }, refreshTokenMaxAgeSeconds: 180 * DAY },
    validation: { call: { path: "/me", docs: "https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile" } },
    identity: { source: "api", idField: "id" },
    rateLimit: { docs: "https://developer.spotify.com/documentation/web-api/concepts/rate-limits" },
  },

  /**
   * Discord: form bodies only (JSON is rejected); RTs rotate; 429 bodies carry `retry_after` in float seconds.
   * @see https://discord.com/developers/docs/topics/oauth2
   * @see https://discord.com/developers/docs/topics/rate-limits
   */
  discord: {
    displayName: "Discord",
    docs: "https://discord.com/developers/docs/topics/oauth2",
    endpoints: {
      authorize: "https://discord.com/oauth2/authorize",
      token: "https://discord.com/api/oauth2/token",
      revoke: "https://discord.com/api/oauth2/token/revoke",
      api: "https://discord.com/api",
    },
    oauth: { clientAuth: "client_secret_basic" },
    authorization: { defaultScopes: ["identify"] },
    tokens: { accessTokenLifetimeSeconds: 7 * DAY, rotation: { kind: "rotating" } },
    validation: { call: { path: "/oauth2/@me", docs: "https://discord.com/developers/docs/topics/oauth2#get-current-authorization-information" } },
    revocation: {
      tokenTypeHint: true,
      docs: "https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-token-revocation-example",
    },
    identity: { source: "api", idField: "user.id" },
    rateLimit: { bodyRetryAfterField: "retry_after", docs: "https://discord.com/developers/docs/topics/rate-limits" },
  },

  google,

  /** YouTube: Google with the YouTube read-only scope. @see https://developers.google.com/youtube/v3/guides/auth/server-side-web-apps */
  youtube: {
    ...google,
    displayName: "YouTube",
    docs: "https://developers.google.com/youtube/v3/guides/auth/server-side-web-apps",
    envFallbackPrefix: "GOOGLE",
    authorization: { ...google.authorization, defaultScopes: ["openid", "email", "https://www.googleapis.com/auth/youtube.readonly"] },
  },

  /** Gmail: Google with the Gmail read-only scope. @see https://developers.google.com/workspace/gmail/api/auth/scopes */
  gmail: {
    ...google,
    displayName: "Gmail",
    docs: "https://developers.google.com/workspace/gmail/api/auth/scopes",
    envFallbackPrefix: "GOOGLE",
    authorization: { ...google.authorization, defaultScopes: ["openid", "email", "https://www.googleapis.com/auth/gmail.readonly"] },
  },

  /** Google Calendar: Google with the Calendar read-only scope. @see https://developers.google.com/workspace/calendar/api/auth */
  google_calendar: {
    ...google,
    displayName: "Google Calendar",
    docs: "https://developers.google.com/workspace/calendar/api/auth",
    envFallbackPrefix: "GOOGLE",
    authorization: { ...google.authorization, defaultScopes: ["openid", "email", "https://www.googleapis.com/auth/calendar.readonly"] },
  },

  /**
   * GitHub: errors come as HTTP 200 with an `error` field, form-encoded unless `Accept: application/json`. OAuth
   * app tokens never expire (validated daily through the token check); GitHub App user tokens last 8 h with a
   * rotating 6-month RT.
   * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
   * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
   */
  github: {
    displayName: "GitHub",
    docs: "https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
    endpoints: {
      authorize: "https://github.com/login/oauth/authorize",
      token: "https://github.com/login/oauth/access_token",
      revoke: "https://api.github.com/applications/{client_id}/token",
      api: "https://api.github.com",
    },
    oauth: { headers: { Accept: "application/json" }, formEncodedResponses: true, refreshTokenExpiresInField: "refresh_token_expires_in" },
    authorization: { defaultScopes: ["read:user"] },
    tokens: { accessTokenLifetimeSeconds: 8 * HOUR, accessTokenExpiry: "optional", rotation: { kind: "rotating" }, refreshTokenIdleSeconds: 180 * DAY },
    apiHeaders: {
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
      "User-Agent": "provider-tokens",
    },
    validation: {
      call: {
        method: "POST",
        path: "/applications/{client_id}/token",
        auth: "client_basic",
        body: "json_access_token",
        docs: "https://docs.github.com/en/rest/apps/oauth-applications#check-a-token",
      },
      invalidStatuses: [404, 422],
      intervalSeconds: DAY,
    },
    revocation: {
      method: "DELETE",
      tokenPlacement: "json",
      tokenParam: "access_token",
      revokes: "access_token",
      alreadyRevokedStatuses: [404],
      headerSet: "api",
      docs: "https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token",
    },
    identity: { source: "api", call: { path: "/user", docs: "https://docs.github.com/en/rest/users/users#get-the-authenticated-user" }, idField: "id" },
    rateLimit: { docs: "https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api" },
    errorRules: [
      {
        error: "bad_refresh_token",
        code: "reauth_required",
        docs: "https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens#responding-with-an-error",
      },
      {
        error: "bad_verification_code",
        code: "reauth_required",
        docs: "https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
      },
      {
        error: "incorrect_client_credentials",
        code: "client_misconfigured",
        docs: "https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
      },
      {
        error: "redirect_uri_mismatch",
        code: "client_misconfigured",
        docs: "https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
      },
    ],
  },

  /**
   * Etsy: PKCE is required; the token endpoint takes only `client_id` (the keystring) in the body, while every
   * API call needs `x-api-key: <keystring>:<shared secret>`. RTs rotate; 90-day RT life is unverified.
   * @see https://developers.etsy.com/documentation/essentials/authentication
   */
  etsy: {
    displayName: "Etsy",
    docs: "https://developers.etsy.com/documentation/essentials/authentication",
    endpoints: {
      authorize: "https://www.etsy.com/oauth/connect",
      token: "https://api.etsy.com/v3/public/oauth/token",
      api: "https://api.etsy.com/v3/application",
    },
    oauth: { clientAuth: "none" },
    authorization: { pkce: "required", defaultScopes: ["shops_r"] },
    tokens: { rotation: { kind: "rotating" }, refreshTokenIdleSeconds: 90 * DAY },
    apiHeaders: { "x-api-key": "{client_id}:{client_secret}" },
    validation: { call: { path: "/users/me", docs: "https://developers.etsy.com/documentation/reference#operation/getMe" } },
    identity: { source: "api", idField: "user_id" },
    rateLimit: { docs: "https://developers.etsy.com/documentation/essentials/rate-limits" },
  },

  /**
   * Shopify: per-shop endpoints; JSON token requests; `expiring=1` on the code exchange yields a 1-hour token
   * and a rotating 90-day RT; without it the offline token never expires (validated daily through shop.json).
   * Revocation is the app uninstall call.
   * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
   * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
   */
  shopify: {
    displayName: "Shopify",
    docs: "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant",
    endpoints: {
      authorize: "https://{shop}.myshopify.com/admin/oauth/authorize",
      token: "https://{shop}.myshopify.com/admin/oauth/access_token",
      revoke: "https://{shop}.myshopify.com/admin/api_permissions/current.json",
      api: "https://{shop}.myshopify.com/admin/api/2026-10",
    },
    oauth: { bodyFormat: "json", exchangeParams: { expiring: "1" }, refreshTokenExpiresInField: "refresh_token_expires_in" },
    authorization: { pkce: "none", defaultScopes: ["read_products"], scopeSeparator: "," },
    tokens: {
      accessTokenExpiry: "optional",
      // Since 2026-08 the previous RT stays valid until the new one is first used; treating it as dead at
      // once is the safe reading and costs nothing.
      rotation: { kind: "rotating" },
      refreshTokenIdleSeconds: 90 * DAY,
    },
    validation: {
      call: { path: "/shop.json", auth: "shopify_access_token", docs: "https://shopify.dev/docs/api/admin-rest/latest/resources/shop" },
      invalidStatuses: [401, 404],
      intervalSeconds: DAY,
    },
    revocation: {
      method: "DELETE",
      clientAuth: "omit",
      tokenPlacement: "shopify_header",
      tokenParam: "access_token",
      revokes: "access_token",
      alreadyRevokedStatuses: [401, 404],
      docs: "https://shopify.dev/docs/apps/build/authentication-authorization/app-installation/uninstall-app-api-request",
    },
    identity: {
      source: "authorize_input",
      param: "shop",
      docs: "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant",
    },
    rateLimit: { docs: "https://shopify.dev/docs/api/usage/limits" },
  },

  /**
   * QuickBooks Online (Intuit): Basic auth, `Accept: application/json`; the RT value changes about daily (store
   * the latest); 100-day rolling RT (`x_refresh_token_expires_in`) under a 5-year cap. The company (`realmId`)
   * arrives on the callback. Tokens always expire, so no separate validation call is defined.
   * @see https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
   * @see https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq
   */
  quickbooks: {
    displayName: "QuickBooks",
    docs: "https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0",
    endpoints: {
      authorize: "https://appcenter.intuit.com/connect/oauth2",
      token: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
      revoke: "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
      api: "https://quickbooks.api.intuit.com/v3",
    },
    oauth: { clientAuth: "client_secret_basic", headers: { Accept: "application/json" }, refreshTokenExpiresInField: "x_refresh_token_expires_in" },
    authorization: { pkce: "none", defaultScopes: ["com.intuit.quickbooks.accounting"] },
    tokens: { rotation: { kind: "may_rotate" }, refreshTokenMaxAgeSeconds: 5 * 365 * DAY, refreshTokenIdleSeconds: 100 * DAY },
    apiHeaders: { Accept: "application/json" },
    revocation: {
      tokenPlacement: "json",
      docs: "https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#revoke-token-disconnect",
    },
    identity: {
      source: "callback",
      param: "realmId",
      docs: "https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-6-receive-the-authorization-code",
    },
    rateLimit: { retryAfterFormat: "none", docs: "https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles" },
  },

  /**
   * Xero: Basic auth only; `offline_access` scope for an RT; RTs rotate with a 30-minute grace for the old one
   * and die after 60 days unused; tenants come from GET /connections; 5 concurrent calls, 60/min, 5,000/day
   * per tenant. Xero's limits page says which limit a 429 hit in the `X-Rate-Limit-Problem` header: `minute`,
   * `day` and `concurrent` are the tenant's own limits (only that connection waits), `appminute` the app's limit across
   * all tenants (the provider waits, as for any 429 without the header).
   * @see https://developer.xero.com/documentation/guides/oauth2/auth-flow
   * @see https://developer.xero.com/documentation/guides/oauth2/limits
   */
  xero: {
    displayName: "Xero",
    docs: "https://developer.xero.com/documentation/guides/oauth2/auth-flow",
    endpoints: {
      authorize: "https://login.xero.com/identity/connect/authorize",
      token: "https://identity.xero.com/connect/token",
      revoke: "https://identity.xero.com/connect/revocation",
      api: "https://api.xero.com",
    },
    oauth: { clientAuth: "client_secret_basic" },
    authorization: { defaultScopes: ["openid", "profile", "email"], refreshTokenScopes: ["offline_access"] },
    tokens: {
      accessTokenLifetimeSeconds: 30 * MINUTE,
      rotation: { kind: "rotating_with_grace", graceSeconds: 30 * MINUTE },
      refreshTokenIdleSeconds: 60 * DAY,
    },
    validation: { call: { path: "/connections", docs: "https://developer.xero.com/documentation/guides/oauth2/tenants" } },
    revocation: { docs: "https://developer.xero.com/documentation/guides/oauth2/auth-flow#revoking-tokens" },
    identity: { source: "api", idField: "0.tenantId" },
    rateLimit: {
      maxConcurrentRequests: 5,
      requestsPerMinute: 60,
      requestsPerDay: 5000,
      docs: "https://developer.xero.com/documentation/guides/oauth2/limits",
    },
    errorRules: [
      {
        status: [429],
        header: { name: "X-Rate-Limit-Problem", values: ["minute", "day", "concurrent"] },
        code: "rate_limited",
        scope: "connection",
        docs: "https://developer.xero.com/documentation/guides/oauth2/limits",
      },
    ],
  },

  /**
   * Lightspeed Retail (X-Series): the token URL is per store (`{domain_prefix}` from the callback); responses
   * carry `expires` (unix seconds) besides `expires_in`; a used RT is revoked once a new one is issued;
   * `Retry-After` is an HTTP-date. AT lifetime and the validation call are unverified defaults.
   * @see https://x-series-api.lightspeedhq.com/docs/authorization
   * @see https://x-series-api.lightspeedhq.com/docs/rate_limiting
   */
  lightspeed: {
    displayName: "Lightspeed Retail (X-Series)",
    docs: "https://x-series-api.lightspeedhq.com/docs/authorization",
    endpoints: {
      authorize: "https://secure.retail.lightspeed.app/connect",
      token: "https://{domain_prefix}.retail.lightspeed.app/api/1.0/token",
      api: "https://{domain_prefix}.retail.lightspeed.app/api/2.0",
    },
    oauth: { absoluteExpiryField: "expires" },
    authorization: { pkce: "none", defaultScopes: [] },
    tokens: { rotation: { kind: "rotating" } },
    validation: { call: { path: "/outlets", docs: "https://x-series-api.lightspeedhq.com/reference/listoutlets" } },
    identity: { source: "callback", param: "domain_prefix", docs: "https://x-series-api.lightspeedhq.com/docs/authorization" },
    rateLimit: { retryAfterFormat: "http_date", docs: "https://x-series-api.lightspeedhq.com/docs/rate_limiting" },
  },

  /**
   * Microsoft identity platform (v2.0): `{tenant}` defaults to `common`; `offline_access` for an RT; a new RT on
   * each refresh (old not revoked); `invalid_grant` with AADSTS 70008/700082/700084/50173 and
   * `interaction_required` mean the user must reconnect. No RFC 7009 revocation endpoint.
   * @see https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
   * @see https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
   */
  microsoft: {
    displayName: "Microsoft",
    docs: "https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow",
    endpoints: {
      authorize: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
      token: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
      api: "https://graph.microsoft.com/v1.0",
    },
    endpointDefaults: { tenant: "common" },
    oauth: { refreshSendsScope: true },
    authorization: { defaultScopes: ["openid", "profile", "User.Read"], refreshTokenScopes: ["offline_access"] },
    tokens: { rotation: { kind: "may_rotate" }, refreshTokenIdleSeconds: 90 * DAY },
    validation: { call: { path: "/me", docs: "https://learn.microsoft.com/en-us/graph/api/user-get" } },
    identity: { source: "api", idField: "id" },
    rateLimit: { docs: "https://learn.microsoft.com/en-us/graph/throttling" },
    errorRules: [
      { error: "interaction_required", code: "reauth_required", docs: "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes" },
      { error: "consent_required", code: "reauth_required", docs: "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes" },
    ],
  },

  /**
   * X (Twitter): PKCE required; Basic auth for confidential clients (401 `unauthorized_client` without it);
   * `offline.access` scope for an RT; RTs are single-use; a spent RT answers 400 `invalid_request` "Value passed
   * for the token was invalid.".
   * @see https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code
   * @see https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token
   */
  twitter: {
    displayName: "X (Twitter)",
    docs: "https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code",
    endpoints: {
      authorize: "https://x.com/i/oauth2/authorize",
      token: "https://api.x.com/2/oauth2/token",
      revoke: "https://api.x.com/2/oauth2/revoke",
      api: "https://api.x.com/2",
    },
    oauth: { clientAuth: "client_secret_basic" },
    authorization: { pkce: "required", defaultScopes: ["tweet.read", "users.read"], refreshTokenScopes: ["offline.access"] },
    tokens: { accessTokenLifetimeSeconds: 2 * HOUR, rotation: { kind: "rotating" } },
    validation: { call: { path: "/users/me", docs: "https://docs.x.com/x-api/users/user-lookup-me" } },
    revocation: { tokenTypeHint: true, docs: "https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token" },
    identity: { source: "api", idField: "data.id" },
    rateLimit: { retryAfterFormat: "none", docs: "https://docs.x.com/x-api/fundamentals/rate-limits" },
    errorRules: [
      {
        status: [400],
        error: "invalid_request",
        match: "Value passed for the token was invalid",
        code: "reauth_required",
        docs: "https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token",
      },
    ],
  },

  /**
   * LinkedIn: credentials in the form body; RTs only for approved partners, fixed 365 days from consent
   * (`refresh_token_expires_in` counts down); ATs last 60 days. No revocation endpoint.
   * @see https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
   * @see https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
   */
  linkedin: {
    displayName: "LinkedIn",
    docs: "https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow",
    endpoints: {
      authorize: "https://www.linkedin.com/oauth/v2/authorization",
      token: "https://www.linkedin.com/oauth/v2/accessToken",
      api: "https://api.linkedin.com/v2",
    },
    oauth: { refreshTokenExpiresInField: "refresh_token_expires_in" },
    authorization: { pkce: "none", defaultScopes: ["openid", "profile", "email"] },
    tokens: { accessTokenLifetimeSeconds: 60 * DAY, rotation: { kind: "none" }, refreshTokenMaxAgeSeconds: 365 * DAY },
    validation: { call: { path: "/userinfo", docs: "https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2" } },
    identity: { source: "api", idField: "sub" },
    rateLimit: { retryAfterFormat: "none", docs: "https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits" },
  },

  /**
   * Reddit: Basic auth and a unique User-Agent on every call; `duration=permanent` for an RT; may return a new RT.
   * @see https://github.com/reddit-archive/reddit/wiki/OAuth2
   * @see https://support.reddithelp.com/hc/en-us/articles/16160319875092-Reddit-Data-API-Wiki
   */
  reddit: {
    displayName: "Reddit",
    docs: "https://github.com/reddit-archive/reddit/wiki/OAuth2",
    endpoints: {
      authorize: "https://www.reddit.com/api/v1/authorize",
      token: "https://www.reddit.com/api/v1/access_token",
      revoke: "https://www.reddit.com/api/v1/revoke_token",
      api: "https://oauth.reddit.com/api/v1",
    },
    oauth: { clientAuth: "client_secret_basic", headers: { "User-Agent": "server:provider-tokens:{client_id}:v0.1.0" } },
    authorization: { pkce: "none", defaultScopes: ["identity"], params: { duration: "permanent" } },
    tokens: { rotation: { kind: "may_rotate" } },
    apiHeaders: { "User-Agent": "server:provider-tokens:{client_id}:v0.1.0" },
    validation: { call: { path: "/me", docs: "https://www.reddit.com/dev/api/#GET_api_v1_me" } },
    revocation: { tokenTypeHint: true, docs: "https://github.com/reddit-archive/reddit/wiki/OAuth2#manually-revoking-a-token" },
    identity: { source: "api", idField: "id" },
    rateLimit: { docs: "https://support.reddithelp.com/hc/en-us/articles/16160319875092-Reddit-Data-API-Wiki" },
  },

  /**
   * Twitch: credentials in the form body; errors are `{status, message}` ("Invalid refresh token"); the RT may
   * change; apps must validate tokens at start and hourly (`Authorization: OAuth <token>`).
   * @see https://dev.twitch.tv/docs/authentication/refresh-tokens
   * @see https://dev.twitch.tv/docs/authentication/validate-tokens
   */
  twitch: {
    displayName: "Twitch",
    docs: "https://dev.twitch.tv/docs/authentication/getting-tokens-oauth#authorization-code-grant-flow",
    endpoints: {
      authorize: "https://id.twitch.tv/oauth2/authorize",
      token: "https://id.twitch.tv/oauth2/token",
      revoke: "https://id.twitch.tv/oauth2/revoke",
      api: "https://id.twitch.tv/oauth2",
    },
    authorization: { pkce: "none", defaultScopes: ["user:read:email"] },
    tokens: { rotation: { kind: "may_rotate" } },
    validation: { call: { path: "/validate", auth: "oauth", docs: "https://dev.twitch.tv/docs/authentication/validate-tokens" } },
    revocation: { clientAuth: "none", revokes: "access_token", docs: "https://dev.twitch.tv/docs/authentication/revoke-tokens" },
    identity: { source: "api", idField: "user_id" },
    rateLimit: { retryAfterFormat: "none", docs: "https://dev.twitch.tv/docs/api/guide#twitch-rate-limits" },
    errorRules: [
      { status: [400], match: "Invalid refresh token", code: "reauth_required", docs: "https://dev.twitch.tv/docs/authentication/refresh-tokens" },
      { status: [400, 403], match: "invalid client", code: "client_misconfigured", docs: "https://dev.twitch.tv/docs/authentication/refresh-tokens" },
    ],
  },

  /**
   * Dropbox: short-lived access tokens (4 h) with a long-lived RT that never rotates, asked for with
   * `token_access_type=offline`. Revocation is an API call authenticated by the access token itself; it ends
   * the RT and every AT of the grant.
   * @see https://developers.dropbox.com/oauth-guide
   * @see https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke
   */
  dropbox: {
    displayName: "Dropbox",
    docs: "https://developers.dropbox.com/oauth-guide",
    endpoints: {
      authorize: "https://www.dropbox.com/oauth2/authorize",
      token: "https://api.dropboxapi.com/oauth2/token",
      revoke: "https://api.dropboxapi.com/2/auth/token/revoke",
      api: "https://api.dropboxapi.com/2",
    },
    authorization: { defaultScopes: ["account_info.read"], params: { token_access_type: "offline" } },
    tokens: { accessTokenLifetimeSeconds: 4 * HOUR, rotation: { kind: "none" } },
    validation: {
      call: {
        method: "POST",
        path: "/users/get_current_account",
        docs: "https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account",
      },
    },
    revocation: {
      clientAuth: "omit",
      tokenPlacement: "bearer_header",
      revokes: "access_token",
      alreadyRevokedStatuses: [401],
      headerSet: "api",
      docs: "https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke",
    },
    identity: { source: "api", idField: "account_id" },
    rateLimit: { docs: "https://developers.dropbox.com/error-handling-guide" },
  },
};

/**
 * Resolves every raw entry: `id` is its key, `envPrefix` the key upper-cased (`<PREFIX>_CLIENT_ID`, README.md),
 * an `api` identity without a `call` makes the validation call, and whatever else the entry leaves out comes
 * from {@link PROVIDER_DEFAULTS}; the result is validated against {@link providerDefinitionSchema}. An entry may
 * state `id` or `envPrefix` only as what they would be anyway.
 *
 * @throws SchemaError naming `<id>.<field>` for the first problem.
 */
export function validateCatalog(raw: Record<string, unknown>): Readonly<Record<ProviderId, ProviderDefinition>> {
  const out: Record<string, ProviderDefinition> = {};
  for (const [key, entry] of Object.entries(raw)) {
    const definition = providerEntrySchema.parse(withDerivedFields(key, entry), key);
    if (definition.id !== key) throw new TypeError(`catalog entry "${key}" has id "${definition.id}"`);
    if (definition.envPrefix !== key.toUpperCase()) {
      throw new TypeError(`catalog entry "${key}" must use envPrefix "${key.toUpperCase()}"`);
    }
    out[key] = Object.freeze(definition);
  }
  return Object.freeze(out) as Readonly<Record<ProviderId, ProviderDefinition>>;
}

function withDerivedFields(key: string, entry: unknown): unknown {
  if (typeof entry !== "object" || entry === null) return entry;
  const { identity, validation } = entry as { identity?: { source?: unknown; call?: unknown }; validation?: { call?: unknown } };
  const sameCall = identity?.source === "api" && identity.call === undefined && validation?.call !== undefined;
  return {
    id: key,
    envPrefix: key.toUpperCase(),
    ...entry,
    ...(sameCall ? { identity: { ...identity, call: validation.call } } : {}),
  };
}

/**
 * The validated provider catalog, keyed by provider id. Resolved and validated when this module loads, so a
 * broken entry fails fast instead of at the first refresh.
 */
export const PROVIDER_CATALOG: Readonly<Record<ProviderId, ProviderDefinition>> = validateCatalog(RAW_PROVIDER_CATALOG);
