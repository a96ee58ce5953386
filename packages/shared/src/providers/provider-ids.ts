/**
 * Every provider id of the public contract (contract.md, "Providers"). `youtube`, `gmail` and
 * `google_calendar` are Google with their own default scopes.
 *
 * @see /work/shared/contract.md
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
 * @see /work/shared/contract.md
 */
export type ProviderId = (typeof PROVIDER_IDS)[number];

/**
 * Type guard: whether `value` is one of {@link PROVIDER_IDS} (exact, case-sensitive).
 *
 * @see /work/shared/contract.md
 */
export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === "string" && (PROVIDER_IDS as readonly string[]).includes(value);
}
