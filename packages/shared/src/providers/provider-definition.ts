import { TEMPLATE_PARAMETERS, templateParameters } from "./endpoint-template.ts";
import { PROVIDER_ERROR_CODES } from "./provider-error-codes.ts";
import { PROVIDER_IDS } from "./provider-ids.ts";
import {
  array,
  boolean,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  string,
  variant,
  withDefaults,
  type DeepPartial,
  type Infer,
  type Input,
} from "./schema-kit.ts";

const docsUrl = string({ pattern: /^https:\/\/[^\s]+$/, describe: "an https documentation URL" });

const endpointTemplate = refine(string({ minLength: 1 }), (value) => {
  try {
    templateParameters(value);
  } catch (error) {
    return (error as Error).message.replace(/^endpoint template /, "");
  }
  const sample = value.replace(/\{[a-z_]+\}/g, "x");
  return /^https:\/\/[^/?#\s]+(\/[^\s?#]*)?$/.test(sample) ? undefined : "must be an https URL template";
});

const headerMap = record(
  refine(string({ minLength: 1 }), (v) => (/[\r\n]/.test(v) ? "must be a single line" : undefined)),
  string({ pattern: /^[A-Za-z0-9-]+$/, describe: "an HTTP header name" }),
);

const paramMap = record(string(), string({ pattern: /^[a-z_[\]]+$/, describe: "a parameter name" }));

const seconds = number({ integer: true, min: 1 });

/**
 * A call to the provider's API, relative to its `api` endpoint: `path` may hold `{client_id}`.
 * `auth`: `bearer` (`Authorization: Bearer <AT>`), `oauth` (`Authorization: OAuth <AT>`, Twitch),
 * `shopify_access_token` (`X-Shopify-Access-Token: <AT>`), `client_basic` (HTTP Basic with the client
 * credentials, GitHub's token check), `none`. `body` puts the access token in a JSON or form body.
 */
const apiCall = object({
  method: oneOf(["GET", "POST"] as const),
  path: string({ pattern: /^\/[A-Za-z0-9@._~{}/-]*$/, describe: "a path starting with /" }),
  auth: oneOf(["bearer", "oauth", "shopify_access_token", "client_basic", "none"] as const),
  body: oneOf(["none", "json_access_token", "form_access_token"] as const),
  docs: docsUrl,
});

const rateLimitScope = oneOf(["connection", "provider"] as const);

const errorRule = refine(
  object({
    status: optional(array(number({ integer: true, min: 100 }), { minLength: 1 })),
    error: optional(string({ minLength: 1 })),
    match: optional(string({ minLength: 1 })),
    header: optional(object({
      name: string({ pattern: /^[A-Za-z0-9-]+$/, describe: "an HTTP header name" }),
      values: array(string({ minLength: 1 }), { minLength: 1 }),
    })),
    code: oneOf(PROVIDER_ERROR_CODES),
    scope: optional(rateLimitScope),
    docs: docsUrl,
  }),
  (rule) =>
    rule.status === undefined && rule.error === undefined && rule.match === undefined && rule.header === undefined
      ? "must set at least one of status, error, match, header"
      : rule.scope !== undefined && rule.code !== "rate_limited"
        ? "may set scope only with code rate_limited"
        : undefined,
);

/**
 * The schema of one provider entry. Everything the engine needs to know about a provider is data here; the
 * TypeScript type {@link ProviderDefinition} is derived from it.
 *
 * Field notes:
 * - `envPrefix`/`envFallbackPrefix`: `<PREFIX>_CLIENT_ID` etc.; the fallback (GOOGLE for youtube, gmail,
 *   google_calendar) applies when the provider's own variables are unset.
 * - `endpoints`: templates with `{shop}`, `{tenant}`, `{domain_prefix}`, `{client_id}`; `api` is the base of
 *   `validation.call.path` and `identity.call.path`. `endpointDefaults` fills placeholders not given.
 * - `oauth.clientAuth` (token endpoint): `client_secret_basic` (HTTP Basic), `client_secret_post` (id and
 *   secret in the body), `none` (only `client_id` in the body, RFC 6749 public client; Etsy).
 * - `oauth.headers` apply to token calls, `apiHeaders` to validation and identity calls, and revocation uses
 *   the set named by `revocation.headerSet` (GitHub's revocation is a REST API call); header values may hold
 *   `{client_id}` and `{client_secret}`.
 * - `tokens.accessTokenExpiry`: `optional` when some grants never expire (GitHub OAuth apps, Shopify
 *   non-expiring offline tokens); a response without expiry then schedules a validation after
 *   `validation.intervalSeconds` instead of assuming one hour.
 * - `tokens.rotation`: `none` (never a new RT), `rotating` (new RT every refresh, old dies at once),
 *   `rotating_with_grace` (old keeps working `graceSeconds`), `may_rotate` (a new RT may come; the old is not
 *   known to die at once). Whatever the kind, a returned RT is always stored.
 * - `tokens.refreshTokenMaxAgeSeconds`: hard cap from consent that refreshing never extends;
 *   `refreshTokenIdleSeconds`: the RT dies when unused that long (keep-alive refreshes prevent it).
 * - `errorRules`: checked before the generic RFC 6749 classification, first match wins. `match` is a
 *   case-insensitive substring of the description, message or body; `header` matches when the response's
 *   header `name` has one of `values` (case-insensitive). A `rate_limited` rule may set `scope`.
 * - `rateLimit.scope`: whose quota a rate limit answer means when no rule says otherwise. `provider`: the
 *   app's (our client id's) quota, so every connection of the provider waits; `connection`: one user's or
 *   tenant's quota, so only that connection waits and the others go on. Token endpoints limit per client
 *   app, so `provider` is the default everywhere; per-user limits are recognised by rules (Google's
 *   "User-rate limit exceeded", Xero's `X-Rate-Limit-Problem: minute|day|concurrent`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749
 * @see https://github.com/NangoHQ/nango/blob/master/packages/providers/providers.yaml (the idea, as data)
 */
export const providerDefinitionSchema = refine(
  object({
    id: oneOf(PROVIDER_IDS),
    displayName: string({ minLength: 1 }),
    docs: docsUrl,
    envPrefix: string({ pattern: /^[A-Z][A-Z0-9_]*$/, describe: "an upper-case environment prefix" }),
    envFallbackPrefix: optional(string({ pattern: /^[A-Z][A-Z0-9_]*$/, describe: "an upper-case environment prefix" })),
    endpoints: object({
      authorize: endpointTemplate,
      token: endpointTemplate,
      revoke: optional(endpointTemplate),
      api: endpointTemplate,
    }),
    endpointDefaults: record(string({ pattern: /^[A-Za-z0-9-]+$/, describe: "a plain value" }), oneOf(TEMPLATE_PARAMETERS)),
    oauth: object({
      clientAuth: oneOf(["client_secret_basic", "client_secret_post", "none"] as const),
      bodyFormat: oneOf(["form", "json"] as const),
      headers: headerMap,
      exchangeParams: paramMap,
      refreshSendsScope: boolean(),
      formEncodedResponses: boolean(),
      absoluteExpiryField: optional(string({ minLength: 1 })),
      refreshTokenExpiresInField: optional(string({ minLength: 1 })),
    }),
    authorization: object({
      pkce: oneOf(["required", "supported", "none"] as const),
      defaultScopes: array(string({ minLength: 1 })),
      refreshTokenScopes: array(string({ minLength: 1 })),
      scopeSeparator: oneOf([" ", ","] as const),
      params: paramMap,
    }),
    tokens: object({
      accessTokenLifetimeSeconds: seconds,
      accessTokenExpiry: oneOf(["always", "optional"] as const),
      rotation: variant("kind", {
        none: {},
        rotating: {},
        rotating_with_grace: { graceSeconds: seconds },
        may_rotate: {},
      }),
      refreshTokenMaxAgeSeconds: optional(seconds),
      refreshTokenIdleSeconds: optional(seconds),
    }),
    apiHeaders: headerMap,
    validation: optional(
      object({
        call: apiCall,
        invalidStatuses: array(number({ integer: true, min: 400 }), { minLength: 1 }),
        intervalSeconds: seconds,
      }),
    ),
    revocation: optional(
      object({
        method: oneOf(["POST", "DELETE"] as const),
        clientAuth: oneOf(["client_secret_basic", "client_secret_post", "none", "omit"] as const),
        tokenPlacement: oneOf(["form", "json", "shopify_header", "bearer_header"] as const),
        tokenParam: string({ pattern: /^[a-z_]+$/, describe: "a parameter name" }),
        revokes: oneOf(["refresh_token", "access_token"] as const),
        tokenTypeHint: boolean(),
        alreadyRevokedStatuses: array(number({ integer: true, min: 400 })),
        headerSet: oneOf(["oauth", "api"] as const),
        docs: docsUrl,
      }),
    ),
    identity: variant("source", {
      callback: { param: string({ minLength: 1 }), docs: docsUrl },
      authorize_input: { param: oneOf(["shop"] as const), docs: docsUrl },
      api: { call: apiCall, idField: string({ pattern: /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, describe: "a dotted field path" }) },
    }),
    rateLimit: object({
      scope: rateLimitScope,
      retryAfterFormat: oneOf(["seconds", "http_date", "none"] as const),
      bodyRetryAfterField: optional(string({ minLength: 1 })),
      maxConcurrentRequests: optional(seconds),
      requestsPerMinute: optional(seconds),
      requestsPerDay: optional(seconds),
      docs: docsUrl,
    }),
    errorRules: array(errorRule),
  }),
  (definition) => {
    if (definition.tokens.accessTokenExpiry === "optional" && definition.validation === undefined) {
      return "with tokens that may not expire must define validation";
    }
    if (definition.revocation === undefined !== (definition.endpoints.revoke === undefined)) {
      return "must define endpoints.revoke and revocation together";
    }
    return undefined;
  },
);

const HOUR = 3600;

/** The call validation and identity make unless an entry says otherwise: `GET` with `Authorization: Bearer`. */
const API_CALL_DEFAULTS = { method: "GET", auth: "bearer", body: "none" } as const;

/**
 * What a catalog entry leaves out: each entry states only where its provider differs from these. They are
 * what RFC 6749 and its companions describe and what most providers of the catalog do:
 *
 * - token calls (`oauth`): form bodies (RFC 6749 4.1.3, 6) with the client credentials in the body
 *   (`client_secret_post`, RFC 6749 2.3.1; Nango's default too), no extra headers or parameters, a refresh
 *   without `scope` (RFC 6749 6: the scope granted), JSON answers (RFC 6749 5.1);
 * - `authorization`: a PKCE S256 challenge sent (RFC 9700 2.1.1 recommends it for every client),
 *   space-separated scopes (RFC 6749 3.3), no extra parameters or scopes needed for a refresh token;
 * - `tokens`: access tokens that always expire, after one hour when the answer says nothing (`rotation` has no
 *   default: every entry states it);
 * - validation and identity calls: `GET` with `Authorization: Bearer <AT>` (RFC 6750 2.1), no body, no extra
 *   headers (`apiHeaders`); 401 means the token is invalid (RFC 6750 3.1); validated hourly when tokens may not
 *   expire. An `api` identity without `call` makes the validation call (catalog.ts);
 * - `revocation` (when the provider has one): RFC 7009 2.1: `POST` of a form `token=<RT>` (revoking the RT
 *   ends the grant), with HTTP Basic client authentication and no `token_type_hint`, the token-call headers;
 *   an invalid token answers 200 (RFC 7009 2.2), so no status means "already revoked";
 * - `rateLimit`: the app's quota (`provider`; token endpoints limit per client), `Retry-After` in seconds;
 * - `errorRules`: none (the RFC 6749 5.2 classification only); `endpointDefaults`: none.
 *
 * Arrays and dictionaries are replaced whole: an entry that gives `headers` gives all of them.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1
 * @see https://github.com/NangoHQ/nango/blob/master/packages/providers/providers.yaml
 */
export const PROVIDER_DEFAULTS = {
  endpointDefaults: {},
  oauth: {
    clientAuth: "client_secret_post",
    bodyFormat: "form",
    headers: {},
    exchangeParams: {},
    refreshSendsScope: false,
    formEncodedResponses: false,
  },
  authorization: { pkce: "supported", refreshTokenScopes: [], scopeSeparator: " ", params: {} },
  tokens: { accessTokenLifetimeSeconds: HOUR, accessTokenExpiry: "always" },
  apiHeaders: {},
  validation: { call: API_CALL_DEFAULTS, invalidStatuses: [401], intervalSeconds: HOUR },
  revocation: {
    method: "POST",
    clientAuth: "client_secret_basic",
    tokenPlacement: "form",
    tokenParam: "token",
    revokes: "refresh_token",
    tokenTypeHint: false,
    alreadyRevokedStatuses: [],
    headerSet: "oauth",
  },
  identity: { call: API_CALL_DEFAULTS },
  rateLimit: { scope: "provider", retryAfterFormat: "seconds" },
  errorRules: [],
} as const satisfies DeepPartial<Input<typeof providerDefinitionSchema>>;

/**
 * A catalog entry as written: {@link providerDefinitionSchema} with {@link PROVIDER_DEFAULTS} filled in. `id` and
 * `envPrefix` come from the entry's key (catalog.ts).
 */
export const providerEntrySchema = withDefaults(providerDefinitionSchema, PROVIDER_DEFAULTS);

/**
 * One provider's behaviour as data, every field resolved (see {@link providerDefinitionSchema} for the meaning
 * of each field).
 */
export type ProviderDefinition = Infer<typeof providerDefinitionSchema>;

/**
 * One catalog entry as written: only what differs from {@link PROVIDER_DEFAULTS}; no `id` or `envPrefix`.
 */
export type ProviderEntry = Omit<Input<typeof providerEntrySchema>, "id" | "envPrefix">;

/**
 * A validation or identity call of a {@link ProviderDefinition}.
 */
export type ProviderApiCall = Infer<typeof apiCall>;

/**
 * A provider-specific error classification rule.
 */
export type ProviderErrorRule = Infer<typeof errorRule>;
