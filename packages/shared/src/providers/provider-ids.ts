/**
 * Every provider id of the public contract (README.md, "Configuration"). `youtube`, `gmail` and
 * `google_calendar` are Google with their own default scopes.
 *
 */
export const PROVIDER_IDS = [
  "spotify",
  "discord",
  "google",
  "youtube",
  "gmail",
  "google_calendar",
  "github",
  "etsy",
  "shopify",
  "quickbooks",
  "xero",
  "lightspeed",
  "microsoft",
  "twitter",
  "linkedin",
  "reddit",
  "twitch",
  "dropbox",
] as const;

/**
 * A provider id of the contract.
 *
 */
export type ProviderId = (typeof PROVIDER_IDS)[number];

/**
 * Type guard: whether `value` is one of {@link PROVIDER_IDS} (exact, case-sensitive).
 *
 */
export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === "string" && (PROVIDER_IDS as readonly string[]).includes(value);
}
