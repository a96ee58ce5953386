/**
 * How each provider behaves at its token endpoint, written from the providers' own documentation and kept apart from
 * packages/shared's catalog on purpose: the emulator is the other side of the wire, so a mistake in the
 * catalog shows up as a failing test instead of agreeing with itself.
 */
export type ClientAuth = "basic" | "body" | "basic_or_body" | "client_id_only";
/** strict: the used RT dies at once; grace: it lives on for graceSeconds; keep: never rotates (same RT or none). */
export type Rotation = "strict" | "grace" | "none_in_response" | "same_returned" | "new_old_kept";
export type ErrorStyle = "oauth" | "github" | "twitter" | "twitch" | "microsoft" | "google";

export interface Profile {
  clientAuth: ClientAuth;
  rotation: Rotation;
  graceSeconds?: number;
  errorStyle: ErrorStyle;
  /** Status for invalid_client (Spotify answers 400). */
  invalidClientStatus?: number;
  /** The token endpoint refuses JSON bodies (Discord) or accepts them (Shopify). */
  acceptsJson?: boolean;
  /** Lightspeed sends `expires` (unix time) beside expires_in; none sends no expiry at all. */
  expiry: "expires_in" | "lightspeed" | "none";
  /** How a 429 says when to come back. */
  retryAfter: "seconds" | "http_date" | "discord_body" | "google_403";
  /** Extra fields on the token response. */
  extraTokenFields?: (now: number) => Record<string, unknown>;
  /** What the callback carries besides code and state. */
  callbackExtras?: "realmId" | "domain_prefix" | "shopify";
  /** Access tokens never expire (GitHub OAuth apps, Shopify offline tokens): no RT issued. */
  nonExpiring?: boolean;
}

const P: Record<string, Profile> = {
  spotify: { clientAuth: "basic_or_body", rotation: "strict", errorStyle: "oauth", invalidClientStatus: 400, expiry: "expires_in", retryAfter: "seconds" },
  discord: { clientAuth: "basic_or_body", rotation: "strict", errorStyle: "oauth", acceptsJson: false, expiry: "expires_in", retryAfter: "discord_body" },
  google: { clientAuth: "body", rotation: "none_in_response", errorStyle: "google", expiry: "expires_in", retryAfter: "google_403" },
  github: {
    clientAuth: "body", rotation: "strict", errorStyle: "github", expiry: "expires_in", retryAfter: "seconds",
    extraTokenFields: () => ({ refresh_token_expires_in: 15_897_600 }),
  },
  etsy: { clientAuth: "client_id_only", rotation: "strict", errorStyle: "oauth", expiry: "expires_in", retryAfter: "seconds" },
  shopify: { clientAuth: "body", rotation: "grace", graceSeconds: 3600, errorStyle: "oauth", acceptsJson: true, expiry: "expires_in", retryAfter: "seconds", callbackExtras: "shopify" },
  quickbooks: {
    clientAuth: "basic", rotation: "strict", errorStyle: "oauth", expiry: "expires_in", retryAfter: "seconds", callbackExtras: "realmId",
    extraTokenFields: () => ({ x_refresh_token_expires_in: 8_640_000 }),
  },
  xero: { clientAuth: "basic", rotation: "grace", graceSeconds: 1800, errorStyle: "oauth", expiry: "expires_in", retryAfter: "seconds" },
  lightspeed: { clientAuth: "body", rotation: "strict", errorStyle: "oauth", expiry: "lightspeed", retryAfter: "http_date", callbackExtras: "domain_prefix" },
  microsoft: { clientAuth: "body", rotation: "new_old_kept", errorStyle: "microsoft", expiry: "expires_in", retryAfter: "seconds" },
  twitter: { clientAuth: "basic", rotation: "strict", errorStyle: "twitter", expiry: "expires_in", retryAfter: "seconds" },
  linkedin: {
    clientAuth: "body", rotation: "same_returned", errorStyle: "oauth", expiry: "expires_in", retryAfter: "seconds",
    extraTokenFields: () => ({ refresh_token_expires_in: 31_536_000 }),
  },
  reddit: { clientAuth: "basic", rotation: "none_in_response", errorStyle: "oauth", expiry: "expires_in", retryAfter: "seconds" },
  twitch: { clientAuth: "body", rotation: "strict", errorStyle: "twitch", expiry: "expires_in", retryAfter: "seconds" },
  dropbox: { clientAuth: "basic_or_body", rotation: "none_in_response", errorStyle: "oauth", expiry: "expires_in", retryAfter: "seconds" },
};
P.youtube = P.google!;
P.gmail = P.google!;
P.google_calendar = P.google!;

export const PROFILES: Readonly<Record<string, Profile>> = P;
export const EMULATED_PROVIDERS = Object.keys(P).sort();

/** The spent-or-revoked refresh token answer, in each provider's own shape. */
export function invalidGrant(profile: Profile): { status: number; body: unknown; form?: boolean } {
  switch (profile.errorStyle) {
    case "github":
      return { status: 200, body: { error: "bad_refresh_token", error_description: "The refresh token passed is incorrect or expired." } };
    case "twitter":
      return { status: 400, body: { error: "invalid_request", error_description: "Value passed for the token was invalid." } };
    case "twitch":
      return { status: 400, body: { status: 400, message: "Invalid refresh token" } };
    case "microsoft":
      return {
        status: 400,
        body: { error: "invalid_grant", error_description: "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.", error_codes: [70008] },
      };
    default:
      return { status: 400, body: { error: "invalid_grant", error_description: "Invalid refresh token" } };
  }
}

export function invalidClient(profile: Profile): { status: number; body: unknown } {
  if (profile.errorStyle === "github") return { status: 200, body: { error: "incorrect_client_credentials", error_description: "The client_id and/or client_secret passed are incorrect." } };
  if (profile.errorStyle === "twitter") return { status: 401, body: { error: "unauthorized_client", error_description: "Missing valid authorization header" } };
  return { status: profile.invalidClientStatus ?? 401, body: { error: "invalid_client", error_description: "Invalid client credentials" } };
}
