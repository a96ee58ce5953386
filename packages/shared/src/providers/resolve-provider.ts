import { PROVIDER_CATALOG } from "./catalog.ts";
import { templateParameters } from "./endpoint-template.ts";
import { ProviderConfigError } from "./provider-config-error.ts";
import type { ProviderDefinition } from "./provider-definition.ts";
import { isProviderId, type ProviderId } from "./provider-ids.ts";

/**
 * Environment as a plain record (Deno.env.toObject(), process.env, or a test object).
 *
 */
export type ProviderEnv = Readonly<Record<string, string | undefined>>;

/**
 * Which endpoint of a provider.
 *
 */
export type EndpointKind = "authorize" | "token" | "revoke" | "api";

/**
 * Endpoint templates after environment overrides (`revoke` is undefined when the provider has none).
 *
 */
export interface ProviderEndpoints {
  readonly authorize: string;
  readonly token: string;
  readonly revoke: string | undefined;
  readonly api: string;
}

/**
 * A provider ready to call: its catalog definition, its client credentials, and its endpoint templates with
 * `<ID>_*_URL` overrides applied. `clientSecret` is non-enumerable, so logging or serialising the object does
 * not reveal it.
 *
 */
export interface ResolvedProvider {
  readonly id: ProviderId;
  readonly definition: ProviderDefinition;
  readonly clientId: string;
  /** Non-enumerable. */
  readonly clientSecret: string;
  /** Environment prefix the credentials were read from (e.g. `GOOGLE` for gmail without `GMAIL_*`). */
  readonly credentialsFrom: string;
  readonly endpoints: ProviderEndpoints;
}

const OVERRIDES: ReadonlyArray<readonly [EndpointKind, string]> = [
  ["authorize", "AUTHORIZE_URL"],
  ["token", "TOKEN_URL"],
  ["revoke", "REVOKE_URL"],
  ["api", "API_URL"],
];

function read(env: ProviderEnv, name: string): string | undefined {
  const value = env[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * Resolves a provider id against the environment:
 * - credentials from `<ID>_CLIENT_ID` and `<ID>_CLIENT_SECRET`; for youtube, gmail and google_calendar, when
 *   neither of their own two is set, from `GOOGLE_CLIENT_ID`/`GOOGLE_CLIENT_SECRET` (the pair is taken together,
 *   never mixed across prefixes);
 * - endpoint overrides from `<ID>_AUTHORIZE_URL`, `<ID>_TOKEN_URL`, `<ID>_REVOKE_URL`, `<ID>_API_URL` (falling
 *   back to the `GOOGLE_*` ones likewise). Overrides may be `http://` (a local emulator) and may contain the
 *   same placeholders as the catalog templates.
 *
 * @throws ProviderConfigError `unknown_provider` for an id outside the contract; `provider_not_configured` when
 *   credentials are missing or an override is not an http(s) URL (the message names the variable).
 */
export function resolveProvider(id: string, env: ProviderEnv): ResolvedProvider {
  if (!isProviderId(id)) {
    throw new ProviderConfigError("unknown_provider", `unknown provider "${String(id).slice(0, 64)}"`);
  }
  const definition = PROVIDER_CATALOG[id];
  const prefixes = [definition.envPrefix, ...(definition.envFallbackPrefix ? [definition.envFallbackPrefix] : [])];

  const credentialsFrom =
    prefixes.find((p) => read(env, `${p}_CLIENT_ID`) !== undefined || read(env, `${p}_CLIENT_SECRET`) !== undefined) ??
    definition.envPrefix;
  const clientId = read(env, `${credentialsFrom}_CLIENT_ID`);
  const clientSecret = read(env, `${credentialsFrom}_CLIENT_SECRET`);
  const missing = [
    ...(clientId === undefined ? [`${credentialsFrom}_CLIENT_ID`] : []),
    ...(clientSecret === undefined ? [`${credentialsFrom}_CLIENT_SECRET`] : []),
  ];
  if (clientId === undefined || clientSecret === undefined) {
    throw new ProviderConfigError("provider_not_configured", `provider "${id}" is not configured: set ${missing.join(" and ")}`, id);
  }

  const endpoints: Record<EndpointKind, string | undefined> = { ...definition.endpoints, revoke: definition.endpoints.revoke };
  for (const [kind, suffix] of OVERRIDES) {
    for (const prefix of prefixes) {
      const name = `${prefix}_${suffix}`;
      const value = read(env, name);
      if (value === undefined) continue;
      checkOverride(id, name, value);
      endpoints[kind] = value;
      break;
    }
  }

  const resolved = {
    id,
    definition,
    clientId,
    credentialsFrom,
    endpoints: Object.freeze({
      authorize: endpoints.authorize as string,
      token: endpoints.token as string,
      revoke: definition.revocation === undefined ? undefined : endpoints.revoke,
      api: endpoints.api as string,
    }),
  };
  Object.defineProperty(resolved, "clientSecret", { value: clientSecret, enumerable: false });
  return Object.freeze(resolved) as ResolvedProvider;
}

/**
 * Like {@link resolveProvider} but answers `{ configured: false }` instead of throwing for a provider of the
 * catalog that has no credentials here; an id outside the catalog still throws.
 *
 * @throws ProviderConfigError `unknown_provider`.
 */
export function resolveIfConfigured(
  id: string,
  env: ProviderEnv,
): { configured: true; provider: ResolvedProvider } | { configured: false; error: ProviderConfigError } {
  try {
    return { configured: true, provider: resolveProvider(id, env) };
  } catch (error) {
    if (error instanceof ProviderConfigError && error.code === "provider_not_configured") {
      return { configured: false, error };
    }
    throw error;
  }
}

function checkOverride(id: string, name: string, value: string): void {
  try {
    templateParameters(value);
    const sample = new URL(value.replace(/\{[a-z_]+\}/g, "x"));
    if (sample.protocol === "https:" || sample.protocol === "http:") return;
  } catch {
    // fall through to the configuration error below
  }
  throw new ProviderConfigError("provider_not_configured", `"${name}" must be an http(s) URL`, id);
}
