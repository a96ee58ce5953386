import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { ProviderError, type ProviderOperation } from "./provider-error.ts";

/**
 * Lifetime assumed for an access token whose response states no expiry (1 h, capped by the catalog value).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export const ASSUMED_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * Tokens as the engine stores them, normalised across providers.
 *
 * - `refreshToken`: the new RT when the provider sent one, else the stored one (`previousRefreshToken`); never
 *   replaced by null, undefined or an empty string. `undefined` only for grants without an RT.
 * - `refreshTokenRotated`: a different RT came back; persist it before anything else.
 * - `expiresAtAssumed`: the response stated no expiry. `expiresAt` is then now + min(catalog lifetime, 1 h), or
 *   now + the validation interval for providers whose tokens may never expire (GitHub OAuth apps, Shopify
 *   non-expiring offline tokens): validate at that time rather than trusting the guess.
 * - `raw`: the parsed response, non-enumerable (it holds the tokens).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  readonly refreshTokenRotated: boolean;
  readonly tokenType: string;
  readonly scopes: readonly string[];
  readonly expiresAt: Date;
  readonly expiresAtAssumed: boolean;
  readonly refreshTokenExpiresAt?: Date;
  readonly raw?: Readonly<Record<string, unknown>>;
}

/**
 * Inputs of {@link tokenSetFromFields} besides the response fields.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenSetContext {
  /** Operation, for error messages. */
  readonly operation: ProviderOperation;
  /** The stored RT, kept when the response has none. */
  readonly previousRefreshToken?: string | undefined;
  /** Scopes to report when the response omits `scope` (stored or requested scopes). */
  readonly previousScopes?: readonly string[] | undefined;
  /** Reference time. */
  readonly now: Date;
}

/**
 * Reads a count of seconds given as a number or a numeric string (`"3600"`); anything else is undefined.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export function secondsField(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

function scopesOf(value: unknown, fallback: readonly string[] | undefined): readonly string[] {
  // Twitch sends an array; GitHub and Shopify a comma-separated string; everyone else space-separated.
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string" && s !== "");
  if (typeof value === "string") return value.split(/[\s,]+/).filter((s) => s !== "");
  return fallback ?? [];
}

function tokenTypeOf(value: unknown): string {
  if (typeof value !== "string" || value === "") return "Bearer";
  return value.toLowerCase() === "bearer" ? "Bearer" : value;
}

const DAY_MS = 86_400_000;

/**
 * Normalises the fields of a successful token response into a {@link TokenSet}.
 *
 * Only a missing `access_token` is an error: any other odd field (an unparseable `expires_in`, a missing
 * `token_type`) falls back to a default, because throwing here would drop a refresh token the provider has
 * already rotated.
 *
 * Expiry, first found wins: `expires_in` (number or numeric string; relative, so immune to clock skew), then
 * the catalog's absolute field (Lightspeed `expires`, unix seconds, used when within a plausible window), else
 * assumed (see {@link TokenSet}). `expires_in: 0` counts as absent. The RT expiry comes from the catalog's
 * `refreshTokenExpiresInField` (QuickBooks `x_refresh_token_expires_in`, GitHub/LinkedIn/Shopify
 * `refresh_token_expires_in`).
 *
 * @throws ProviderError `transient` when `access_token` is missing or empty.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://x-series-api.lightspeedhq.com/docs/authorization
 */
export function tokenSetFromFields(
  provider: ResolvedProvider,
  fields: Readonly<Record<string, unknown>>,
  context: TokenSetContext,
): TokenSet {
  const { now, operation } = context;
  const accessToken = fields["access_token"];
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new ProviderError("transient", `${provider.id} ${operation} failed: "access_token" must be a non-empty string`, {
      provider: provider.id,
      operation,
    });
  }

  const received = fields["refresh_token"];
  const newRefreshToken = typeof received === "string" && received !== "" ? received : undefined;
  const previous = context.previousRefreshToken === "" ? undefined : context.previousRefreshToken;
  const refreshToken = newRefreshToken ?? previous;
  const refreshTokenRotated = newRefreshToken !== undefined && previous !== undefined && newRefreshToken !== previous;

  const { tokens, oauth, validation } = provider.definition;
  let expiresAt: Date | undefined;
  const expiresIn = secondsField(fields["expires_in"]);
  if (expiresIn !== undefined && expiresIn > 0) expiresAt = new Date(now.getTime() + expiresIn * 1000);
  if (expiresAt === undefined && oauth.absoluteExpiryField !== undefined) {
    const absolute = secondsField(fields[oauth.absoluteExpiryField]);
    if (absolute !== undefined) {
      const at = absolute * 1000;
      if (at > now.getTime() - DAY_MS && at < now.getTime() + 400 * DAY_MS) expiresAt = new Date(at);
    }
  }
  const expiresAtAssumed = expiresAt === undefined;
  if (expiresAt === undefined) {
    const seconds =
      tokens.accessTokenExpiry === "optional" && validation !== undefined
        ? validation.intervalSeconds
        : Math.min(tokens.accessTokenLifetimeSeconds, ASSUMED_ACCESS_TOKEN_LIFETIME_SECONDS);
    expiresAt = new Date(now.getTime() + seconds * 1000);
  }

  let refreshTokenExpiresAt: Date | undefined;
  if (oauth.refreshTokenExpiresInField !== undefined && refreshToken !== undefined) {
    const rtSeconds = secondsField(fields[oauth.refreshTokenExpiresInField]);
    if (rtSeconds !== undefined && rtSeconds > 0) refreshTokenExpiresAt = new Date(now.getTime() + rtSeconds * 1000);
  }

  const set: TokenSet = {
    accessToken,
    refreshToken,
    refreshTokenRotated,
    tokenType: tokenTypeOf(fields["token_type"]),
    scopes: scopesOf(fields["scope"], context.previousScopes),
    expiresAt,
    expiresAtAssumed,
    ...(refreshTokenExpiresAt === undefined ? {} : { refreshTokenExpiresAt }),
  };
  Object.defineProperty(set, "raw", { value: Object.freeze({ ...fields }), enumerable: false });
  return set;
}
