/**
 * Bounds for the values a token endpoint hands back, applied on every path (code exchange and refresh) by
 * {@link tokenSetFromFields}. A provider value outside them is replaced by a safe default and reported as a
 * {@link TokenValueAdjustment} (field and reason, never the value), because the alternative is worse: a
 * save that throws after the provider has already rotated the refresh token loses it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */

/** Longest access token lifetime believed (one year; the longest real one, LinkedIn's, is 60 days). */
export const MAX_EXPIRES_IN_SECONDS = 366 * 86_400;
/** Longest refresh token lifetime believed (six years; Intuit's hard cap is five). */
export const MAX_REFRESH_EXPIRES_IN_SECONDS = 6 * 366 * 86_400;
/** The longest `token_type` kept (the column's bound). */
export const MAX_TOKEN_TYPE_LENGTH = 32;
/** At most this many scopes are kept (the column's bound), each at most {@link MAX_SCOPE_LENGTH} characters. */
export const MAX_SCOPES = 256;
export const MAX_SCOPE_LENGTH = 256;

/** A provider value that was not used as sent. Names the field and why; never carries the value. */
export interface TokenValueAdjustment {
  readonly field: string;
  readonly reason: "not_a_number" | "out_of_range" | "too_long" | "malformed" | "too_many" | "dropped_entries";
}

/**
 * A count of seconds sent as a number or a numeric string (`"3600"`), within `(0, max]`. Absent (null,
 * undefined) gives `undefined` silently; anything present but unusable (`"1e13"`, `NaN`, `-5`, `1e13`, an
 * object) gives `undefined` and an adjustment. `0` counts as absent, as providers use it for "unknown".
 */
export function boundedSeconds(
  field: string,
  value: unknown,
  max: number,
): { seconds: number | undefined; adjustment?: TokenValueAdjustment } {
  if (value === undefined || value === null || value === "") return { seconds: undefined };
  let n: number | undefined;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^\s*\d{1,15}(\.\d{1,9})?\s*$/.test(value)) n = Number(value);
  if (n === undefined || !Number.isFinite(n)) return { seconds: undefined, adjustment: { field, reason: "not_a_number" } };
  if (n === 0) return { seconds: undefined };
  if (n < 0 || n > max) return { seconds: undefined, adjustment: { field, reason: "out_of_range" } };
  return { seconds: n };
}

const TOKEN_TYPE = /^[A-Za-z0-9_.-]+$/;

/**
 * `token_type`, case-normalised for the common `bearer` → `Bearer` (RFC 6750); missing gives `Bearer`. A type
 * longer than {@link MAX_TOKEN_TYPE_LENGTH} or with characters no token type has is replaced by `Bearer`, the
 * only type any supported provider issues, and reported.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-7.1
 */
export function boundedTokenType(value: unknown): { tokenType: string; adjustment?: TokenValueAdjustment } {
  if (value === undefined || value === null || value === "") return { tokenType: "Bearer" };
  if (typeof value !== "string") return { tokenType: "Bearer", adjustment: { field: "token_type", reason: "malformed" } };
  const trimmed = value.trim();
  if (trimmed.length > MAX_TOKEN_TYPE_LENGTH) return { tokenType: "Bearer", adjustment: { field: "token_type", reason: "too_long" } };
  if (!TOKEN_TYPE.test(trimmed)) return { tokenType: "Bearer", adjustment: { field: "token_type", reason: "malformed" } };
  return { tokenType: trimmed.toLowerCase() === "bearer" ? "Bearer" : trimmed };
}

// RFC 6749 3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Granted scopes: Twitch sends an array, GitHub and Shopify a comma-separated string, everyone else a
 * space-separated one. Entries that are not RFC 6749 scope tokens or are longer than {@link MAX_SCOPE_LENGTH}
 * are dropped, duplicates removed, and at most {@link MAX_SCOPES} kept (in the provider's order). Without a
 * `scope` field the fallback (stored or requested scopes) is used.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function boundedScopes(
  value: unknown,
  fallback: readonly string[] | undefined,
): { scopes: readonly string[]; adjustments: TokenValueAdjustment[] } {
  const adjustments: TokenValueAdjustment[] = [];
  let raw: unknown[];
  if (Array.isArray(value)) raw = value;
  else if (typeof value === "string") raw = value.length > 1_000_000 ? [] : value.split(/[\s,]+/);
  else if (value === undefined || value === null) raw = [...(fallback ?? [])];
  else {
    adjustments.push({ field: "scope", reason: "malformed" });
    raw = [...(fallback ?? [])];
  }
  if (typeof value === "string" && value.length > 1_000_000) adjustments.push({ field: "scope", reason: "too_long" });
  const kept: string[] = [];
  const seen = new Set<string>();
  let dropped = false;
  for (const s of raw) {
    if (s === "") continue;
    if (typeof s !== "string" || s.length > MAX_SCOPE_LENGTH || !SCOPE_TOKEN.test(s)) {
      dropped = true;
      continue;
    }
    if (seen.has(s)) continue;
    seen.add(s);
    kept.push(s);
  }
  if (dropped) adjustments.push({ field: "scope", reason: "dropped_entries" });
  if (kept.length > MAX_SCOPES) adjustments.push({ field: "scope", reason: "too_many" });
  return { scopes: kept.slice(0, MAX_SCOPES), adjustments };
}
