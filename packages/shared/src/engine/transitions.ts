/**
 * The statuses a connection can have. This list owns them: the database's platform_connections_status_check
 * and record_refresh_failure follow it (tests/integration/connection-status.test.ts compares them).
 *
 * `error` is never written by the engine: it is the operator's quarantine (set by hand, kept by the public
 * schema's promise). A connection in `error` is served like `needs_reauth`, never claimed by the schedule, and
 * a reconnect brings it back.
 */
export const CONNECTION_STATUSES = ["connected", "token_expired", "needs_reauth", "disconnected", "error"] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/**
 * What a refresh outcome does to a connection: the one table the engine acts on (README, "Status
 * transitions"). A provider-wide fault (bad client credentials) is not the user's: their rows stay as they
 * are. Rate limits and outages never send a user to reconnect; only the provider saying the grant is gone does.
 */
export type Outcome = "success" | "reauth_required" | "client_misconfigured" | "rate_limited" | "transient";

export interface Transition {
  /** The status the row gets; `keep` leaves it, `lapsed` is connected or token_expired by the access token's expiry. */
  status: Extract<ConnectionStatus, "connected" | "needs_reauth"> | "keep" | "lapsed";
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

/**
 * The status record_refresh_failure is told to set; null lets it apply `keep` or `lapsed` itself (it holds
 * the row's current status and expiry under its lock).
 */
export function failureStatus(transition: Transition): ConnectionStatus | null {
  return transition.status === "needs_reauth" ? "needs_reauth" : null;
}

/** How long a provider with bad client credentials is left alone before the next try. */
export const MISCONFIGURED_PAUSE_MS = 15 * 60_000;
