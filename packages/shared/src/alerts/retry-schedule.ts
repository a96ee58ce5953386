/**
 * Delays before each retry of a failed delivery: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, then six times
 * every 4 h: 27 h 42 min 35 s in all, so even with the jitter (at most 10 % shorter) the last retry comes
 * more than 24 hours after the first attempt.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000,
  14_400_000, 14_400_000, 14_400_000, 14_400_000, 14_400_000, 14_400_000,
];

/**
 * `WEBHOOK_RETRY_SCHEDULE_MS`: comma-separated delays in milliseconds (1 to 50 of them, each 1 ms to 1 day),
 * e.g. for tests `200,200,200`. Unset: the default schedule.
 *
 * @throws TypeError naming WEBHOOK_RETRY_SCHEDULE_MS when malformed.
 */
export function parseRetrySchedule(value: string | undefined): readonly number[] {
  if (value === undefined || value.trim() === "") return DEFAULT_RETRY_SCHEDULE_MS;
  const parts = value.split(",").map((p) => p.trim());
  if (parts.length > 50 || parts.some((p) => !/^[0-9]{1,8}$/.test(p) || Number(p) < 1 || Number(p) > 86_400_000)) {
    throw new TypeError("WEBHOOK_RETRY_SCHEDULE_MS must be 1 to 50 comma-separated delays in milliseconds (1..86400000)");
  }
  return parts.map(Number);
}

/**
 * When to retry after `attempts` failed attempts (1 after the first), or null once the schedule is spent.
 * Jitter: the delay is drawn from [0.9, 1.1] of the scheduled one, so endpoints recovering from an outage are
 * not hit by every delivery at the same instant.
 */
export function nextRetryAt(attempts: number, schedule: readonly number[], now: number, random: () => number = Math.random): Date | null {
  const delay = schedule[attempts - 1];
  if (delay === undefined) return null;
  return new Date(now + Math.round(delay * (0.9 + 0.2 * random())));
}
