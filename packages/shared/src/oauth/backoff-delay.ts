/**
 * Default backoff base (1 s) and cap (15 min) for retrying transient provider failures.
 *
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export const DEFAULT_BACKOFF = Object.freeze({ baseMs: 1_000, capMs: 900_000 });

/**
 * Exponential backoff with full jitter: a uniformly random delay between 0 and `min(capMs, baseMs * 2^attempt)`.
 * Full jitter spreads retries of many connections that failed together (a provider outage) instead of
 * re-synchronising them.
 *
 * @param attempt - Zero-based retry number (0 for the first retry).
 * @param options - `baseMs` and `capMs` (defaults {@link DEFAULT_BACKOFF}).
 * @param random - Source of uniform numbers in [0, 1); injectable for tests.
 * @returns Whole milliseconds.
 * @throws TypeError naming the argument when attempt, baseMs or capMs is negative or not finite.
 */
export function backoffDelay(
  attempt: number,
  options: { readonly baseMs: number; readonly capMs: number } = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new TypeError('"attempt" must be a non-negative integer');
  if (!Number.isFinite(options.baseMs) || options.baseMs < 0) throw new TypeError('"baseMs" must be a non-negative number');
  if (!Number.isFinite(options.capMs) || options.capMs < 0) throw new TypeError('"capMs" must be a non-negative number');
  // 2 ** attempt overflows to Infinity for huge attempts; min() with the cap keeps the result finite.
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** attempt);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}
