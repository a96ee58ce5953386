/**
 * What a refresh outcome does to a connection: the one table the engine acts on (README, "Status
 * transitions"). A provider-wide fault (bad client credentials) is not the user's: their rows stay as they
 * are. Rate limits and outages never send a user to reconnect; only the provider saying the grant is gone does.
 */
export type Outcome = "success" | "reauth_required" | "client_misconfigured" | "rate_limited" | "transient";

export interface Transition {
  /** The status the row gets; `keep` leaves it, `lapsed` is connected or token_expired by the access token's expiry. */
  status: "connected" | "needs_reauth" | "keep" | "lapsed";
  /** Whether consecutive_failures is reset (success) or counted. */
  failures: "reset" | "count" | "keep";
  /** When to try again: never (user must reconnect), the provider's wait, a backoff, or a provider-wide pause. */
  retry: "none" | "retry_after" | "backoff" | "provider_pause";
}

export const TRANSITIONS: Readonly<Record<Outcome, Transition>> = {
  success: { status: "connected", failures: "reset", retry: "none" },
  reauth_required: { status: "needs_reauth", failures: "count", retry: "none" },
  client_misconfigured: { status: "keep", failures: "keep", retry: "provider_pause" },
  rate_limited: { status: "lapsed", failures: "count", retry: "retry_after" },
  transient: { status: "lapsed", failures: "count", retry: "backoff" },
};

/** How long a provider with bad client credentials is left alone before the next try. */
export const MISCONFIGURED_PAUSE_MS = 15 * 60_000;
