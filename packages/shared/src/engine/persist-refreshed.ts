/**
 * Getting a refreshed token set into the database once the provider has rotated the refresh token: the one
 * moment where a lost write costs the user their connection on providers that rotate strictly.
 *
 * The compare-and-set save is retried with exponential backoff. After {@link SavePolicy.attemptsBeforePark}
 * failed attempts the set is also parked (one small insert into pending_token_sets, which touches no column
 * of the connection row), so a save refused by the row itself (a trigger, a check, a lock held elsewhere)
 * still ends in the database. Both keep being tried, alternately, until one succeeds or the deadline (inside
 * the lease) passes. A save or park that answers "no" (not an error) means the row moved on: superseded.
 */

/** What happened to the set. `lost` only when the database refused every attempt until the deadline. */
export type Persisted = "saved" | "parked" | "superseded" | "lost";

export interface SavePolicy {
  /** Delay before the second attempt; doubles per attempt up to `maxDelayMs`, with half of it jittered. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Failed saves before parking is tried too. */
  attemptsBeforePark: number;
  /** Upper bound on the whole effort (the caller also bounds it by its lease). */
  budgetMs: number;
  /** Injected for tests: a monotonic clock in ms and a sleep. */
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const DEFAULT_SAVE_POLICY: SavePolicy = {
  firstDelayMs: 50,
  maxDelayMs: 2_000,
  attemptsBeforePark: 3,
  budgetMs: 20_000,
  clock: () => (typeof performance !== "undefined" ? performance.now() : Date.now()),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export interface PersistSteps {
  /** The compare-and-set save: true saved, false superseded; throws when the database refused. */
  save: () => Promise<boolean>;
  /** Parks the set: true parked, false superseded; throws when the database refused. */
  park: () => Promise<boolean>;
  /** Called after each refused attempt (for the log): which step, the attempt number, the error. */
  onRefused?: (step: "save" | "park", attempt: number, error: unknown) => void;
}

export interface PersistResult {
  persisted: Persisted;
  /** Attempts made (saves and parks). */
  attempts: number;
  /** Time from the start until the set was durable (or given up), in ms of the policy's clock. */
  elapsedMs: number;
}

/**
 * Saves, or parks, a refreshed token set, within `min(policy.budgetMs, deadlineMs - now)`.
 */
export async function persistRefreshed(
  steps: PersistSteps,
  deadlineMs: number,
  policy: SavePolicy = DEFAULT_SAVE_POLICY,
): Promise<PersistResult> {
  const started = policy.clock();
  const until = Math.min(started + policy.budgetMs, deadlineMs);
  let attempts = 0;
  let saveFailures = 0;
  let delay = policy.firstDelayMs;
  const done = (persisted: Persisted): PersistResult => ({ persisted, attempts, elapsedMs: policy.clock() - started });

  for (;;) {
    attempts += 1;
    try {
      return done((await steps.save()) ? "saved" : "superseded");
    } catch (error) {
      saveFailures += 1;
      steps.onRefused?.("save", attempts, error);
    }
    if (saveFailures >= policy.attemptsBeforePark) {
      attempts += 1;
      try {
        return done((await steps.park()) ? "parked" : "superseded");
      } catch (error) {
        steps.onRefused?.("park", attempts, error);
      }
    }
    const wait = Math.round(delay / 2 + policy.random() * (delay / 2));
    if (policy.clock() + wait >= until) return done("lost");
    await policy.sleep(wait);
    delay = Math.min(delay * 2, policy.maxDelayMs);
  }
}
