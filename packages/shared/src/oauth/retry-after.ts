/**
 * Longest wait a provider hint may impose (24 h); larger hints are clamped.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Parses a `Retry-After` header in either of its forms: delay-seconds (`120`; fractional values such as
 * Shopify's `2.0` are accepted) or an HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`, as Lightspeed sends).
 *
 * @param value - Header value, or null when absent.
 * @param now - Reference time for HTTP-dates.
 * @returns Milliseconds to wait (0 for a date in the past, clamped to {@link MAX_RETRY_AFTER_MS}), or
 *   `undefined` when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return clamp(Math.ceil(Number(text) * 1000));
  // Only IMF-fixdate and its obsolete forms contain a weekday/month name; bare numbers were handled above.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return clamp(at - now.getTime());
}

/**
 * Converts a seconds value found in a body (Discord's `retry_after`, a float) into milliseconds.
 *
 * @returns Milliseconds, or `undefined` when the value is not a non-negative number or numeric string.
 * @see https://discord.com/developers/docs/topics/rate-limits#exceeding-a-rate-limit
 */
export function retryAfterSecondsToMs(value: unknown): number | undefined {
  const seconds = typeof value === "number" ? value : typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return clamp(Math.ceil(seconds * 1000));
}

function clamp(ms: number): number {
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
