import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { ProviderError, type ProviderOperation } from "./provider-error.ts";
import {
  boundedScopes, boundedSeconds, boundedTokenType, MAX_EXPIRES_IN_SECONDS, MAX_REFRESH_EXPIRES_IN_SECONDS, type TokenValueAdjustment,
} from "./token-values.ts";

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
 * - `adjustments`: provider values that were out of bounds and replaced (see token-values.ts), present only
 *   when there were some; field names and reasons only, safe to log.
 * - `raw`: the parsed response, non-enumerable (it holds the tokens).
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
  readonly adjustments?: readonly TokenValueAdjustment[];
  readonly raw?: Readonly<Record<string, unknown>>;
}

/**
 * Inputs of {@link tokenSetFromFields} besides the response fields.
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
 */
export function secondsField(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === "string" && /^\s*\d{1,15}(\.\d{1,9})?\s*$/.test(value)) return Number(value);
  return undefined;
}

const DAY_MS = 86_400_000;

/**
 * Normalises the fields of a successful token response into a {@link TokenSet}.
 *
 * Only a missing `access_token` is an error: any other odd field (an unparseable or absurd `expires_in`, an
 * oversized `token_type`, a thousand scopes) falls back to a bounded default and is listed in `adjustments`,
 * because throwing here, or a save refused later by the database, would drop a refresh token the provider
 * has already rotated. The bounds are in token-values.ts, the one sanitiser of provider values.
 *
 * Expiry, first found wins: `expires_in` (number or numeric string; relative, so immune to clock skew), then
 * the catalog's absolute field (Lightspeed `expires`, unix seconds, used when within a plausible window), else
 * assumed (see {@link TokenSet}). `expires_in: 0` counts as absent; one beyond a year (or negative, or not a
 * finite number) as absent too, with an adjustment. The RT expiry comes from the catalog's
 * `refreshTokenExpiresInField` (QuickBooks `x_refresh_token_expires_in`, GitHub/LinkedIn/Shopify
 * `refresh_token_expires_in`).
 *
 * @throws ProviderError `transient` when `access_token` is missing or empty.
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
  const adjustments: TokenValueAdjustment[] = [];
  let expiresAt: Date | undefined;
  const expiresIn = boundedSeconds("expires_in", fields["expires_in"], MAX_EXPIRES_IN_SECONDS);
  if (expiresIn.adjustment) adjustments.push(expiresIn.adjustment);
  if (expiresIn.seconds !== undefined) expiresAt = new Date(now.getTime() + expiresIn.seconds * 1000);
  if (expiresAt === undefined && oauth.absoluteExpiryField !== undefined) {
    const absolute = secondsField(fields[oauth.absoluteExpiryField]);
    if (absolute !== undefined) {
      const at = absolute * 1000;
      if (at > now.getTime() - DAY_MS && at < now.getTime() + 400 * DAY_MS) expiresAt = new Date(at);
      else adjustments.push({ field: oauth.absoluteExpiryField, reason: "out_of_range" });
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
    const rtSeconds = boundedSeconds(oauth.refreshTokenExpiresInField, fields[oauth.refreshTokenExpiresInField], MAX_REFRESH_EXPIRES_IN_SECONDS);
    if (rtSeconds.adjustment) adjustments.push(rtSeconds.adjustment);
    if (rtSeconds.seconds !== undefined) refreshTokenExpiresAt = new Date(now.getTime() + rtSeconds.seconds * 1000);
  }
  const tokenType = boundedTokenType(fields["token_type"]);
  if (tokenType.adjustment) adjustments.push(tokenType.adjustment);
  const scopes = boundedScopes(fields["scope"], context.previousScopes);
  adjustments.push(...scopes.adjustments);

  const set: TokenSet = {
    accessToken,
    refreshToken,
    refreshTokenRotated,
    tokenType: tokenType.tokenType,
    scopes: scopes.scopes,
    expiresAt,
    expiresAtAssumed,
    ...(refreshTokenExpiresAt === undefined ? {} : { refreshTokenExpiresAt }),
    ...(adjustments.length === 0 ? {} : { adjustments: Object.freeze(adjustments) }),
  };
  Object.defineProperty(set, "raw", { value: Object.freeze({ ...fields }), enumerable: false });
  return set;
}
