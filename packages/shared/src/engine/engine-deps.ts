import type { KeyRing } from "../crypto/key-ring.ts";
import type { Sql } from "../db/create-sql.ts";
import type { Logger } from "../log/logger.ts";
import type { FetchLike } from "../oauth/send-provider-request.ts";

/** What the engine needs from its host (a Deno function, a test, the benchmark). */
export interface EngineDeps {
  sql: Sql;
  ring: KeyRing;
  /** Provider credentials and endpoint overrides (README.md, "Configuration"). */
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  fetch?: FetchLike;
  /** The clock, in ms since the epoch (default `Date.now`); tests of the engine's timing inject their own. */
  now?: () => number;
  /** Lease length in seconds (default {@link LEASE_SECONDS}). */
  leaseSeconds?: number;
}

/** Seconds a refresh lease lasts: well above the provider call's timeout (10 s) plus the save. */
export const LEASE_SECONDS = 45;

/** `REFRESH_LEASE_SECONDS` from the environment: at least 15 s, always above the provider timeout. */
export function leaseSecondsFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const v = Number(env.REFRESH_LEASE_SECONDS);
  return Number.isInteger(v) && v >= 15 && v <= 600 ? v : LEASE_SECONDS;
}

export const leaseOf = (deps: Pick<EngineDeps, "leaseSeconds">): number => deps.leaseSeconds ?? LEASE_SECONDS;

export const clockOf = (deps: Pick<EngineDeps, "now">): (() => number) => deps.now ?? Date.now;

export const nowOf = (deps: Pick<EngineDeps, "now">): Date => new Date(clockOf(deps)());
