import type { KeyRing } from "../crypto/key-ring.ts";
import type { Sql } from "../db/create-sql.ts";
import type { Logger } from "../log/logger.ts";
import { DEFAULT_RETRY_SCHEDULE_MS, nextRetryAt, parseRetrySchedule } from "./retry-schedule.ts";
import { signWebhook } from "./sign-webhook.ts";
import { slackBody, type WebhookPayload } from "./slack-body.ts";
import { decryptWebhookSecret } from "./webhook-secret.ts";

export interface DeliverOptions {
  /** Delays between attempts (WEBHOOK_RETRY_SCHEDULE_MS). */
  retryScheduleMs: readonly number[];
  /** Time limit of one attempt, answer included (WEBHOOK_TIMEOUT_MS, default 10 000). */
  timeoutMs: number;
  /** Attempts in flight at once (WEBHOOK_CONCURRENCY, default 8). */
  concurrency: number;
  /** Deliveries claimed per run (default 200). */
  batch: number;
  /** An endpoint without a success for this long is disabled (WEBHOOK_DISABLE_AFTER_MS, default 3 days). */
  disableAfterMs: number;
}

export interface DeliverDeps {
  sql: Sql;
  ring: KeyRing;
  logger: Logger;
  fetch?: typeof fetch;
}

export interface DeliverSummary {
  claimed: number;
  delivered: number;
  failed: number;
  dead: number;
  disabled: number;
}

const int = (v: string | undefined, name: string, def: number, min: number, max: number): number => {
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

/** The options from the functions' environment; every variable is optional. */
export function deliverOptionsFromEnv(env: Record<string, string | undefined>): DeliverOptions {
  return {
    retryScheduleMs: parseRetrySchedule(env.WEBHOOK_RETRY_SCHEDULE_MS),
    timeoutMs: int(env.WEBHOOK_TIMEOUT_MS, "WEBHOOK_TIMEOUT_MS", 10_000, 100, 30_000),
    concurrency: int(env.WEBHOOK_CONCURRENCY, "WEBHOOK_CONCURRENCY", 8, 1, 64),
    batch: 200,
    disableAfterMs: int(env.WEBHOOK_DISABLE_AFTER_MS, "WEBHOOK_DISABLE_AFTER_MS", 3 * 86_400_000, 1_000, 90 * 86_400_000),
  };
}

export const DEFAULT_DELIVER_OPTIONS: DeliverOptions = {
  retryScheduleMs: DEFAULT_RETRY_SCHEDULE_MS, timeoutMs: 10_000, concurrency: 8, batch: 200, disableAfterMs: 3 * 86_400_000,
};

interface Claimed {
  delivery_id: string;
  attempts: number;
  event_id: string;
  event_type: string;
  payload: WebhookPayload;
  endpoint_id: string;
  url: string;
  format: "standard" | "slack";
  secret: string;
}

/** What an attempt came to: an HTTP status, or none and why (never the URL, which may itself be a secret). */
async function attempt(deps: DeliverDeps, opts: DeliverOptions, row: Claimed): Promise<{ status: number | null; error: string | null }> {
  let secret: string;
  try {
    secret = await decryptWebhookSecret(deps.ring, row.endpoint_id, row.secret);
  } catch {
    return { status: null, error: "the endpoint's secret cannot be decrypted with the configured keys" };
  }
  const body = JSON.stringify(row.format === "slack" ? slackBody(row.payload) : row.payload);
  // The event id is the message id: the same on every retry, so receivers can deduplicate.
  const signature = await signWebhook(secret, row.event_id, Math.floor(Date.now() / 1000), body);
  const doFetch = deps.fetch ?? fetch;
  try {
    const res = await doFetch(row.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "provider-tokens-webhooks/1", ...signature },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { status: res.status, error: null };
    if (res.status >= 300 && res.status < 400) return { status: res.status, error: `HTTP ${res.status}: redirects are not followed` };
    return { status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === "TimeoutError" || name === "AbortError") return { status: null, error: `no answer within ${opts.timeoutMs} ms` };
    return { status: null, error: `the request failed (${name ?? "error"})` };
  }
}

/**
 * One delivery run: claims the due deliveries, posts each (signed, with a time limit, redirects not followed,
 * at most `concurrency` at once) and records every attempt; a failure is retried on the schedule, the
 * schedule's end makes the delivery dead, and an endpoint failing for `disableAfterMs` is disabled and
 * logged (`webhook_endpoint_disabled`).
 */
export async function deliverWebhooks(deps: DeliverDeps, opts: DeliverOptions): Promise<DeliverSummary> {
  const summary: DeliverSummary = { claimed: 0, delivered: 0, failed: 0, dead: 0, disabled: 0 };
  const leaseSeconds = Math.ceil((opts.timeoutMs * Math.ceil(opts.batch / opts.concurrency)) / 1000) + 30;
  const rows = await deps.sql<Claimed[]>`
    select * from provider_tokens.claim_webhook_deliveries(${opts.batch}, ${Math.min(leaseSeconds, 3600)})`;
  summary.claimed = rows.length;
  let next = 0;
  // Endpoints this run disabled: their remaining claimed deliveries were made dead with them, not sent.
  const disabledNow = new Set<string>();
  const worker = async () => {
    for (let row = rows[next++]; row; row = rows[next++]) {
      if (disabledNow.has(row.endpoint_id)) continue;
      const started = Date.now();
      const result = await attempt(deps, opts, row);
      const ok = result.status !== null && result.status >= 200 && result.status < 300;
      const retryAt = ok ? null : nextRetryAt(row.attempts + 1, opts.retryScheduleMs, Date.now());
      const [rec] = await deps.sql<{ disabled: string | null }[]>`
        select provider_tokens.record_webhook_attempt(${row.delivery_id}, ${result.status}, ${result.error},
          ${Date.now() - started}, ${retryAt}, make_interval(secs => ${opts.disableAfterMs / 1000})) as disabled`;
      if (ok) summary.delivered += 1;
      else if (retryAt) summary.failed += 1;
      else summary.dead += 1;
      // Ids by their first 8 characters (the logger masks anything as long as a token): enough to find the
      // endpoint in token-admin's webhooks list.
      if (!ok) deps.logger.info("webhook_attempt_failed", { delivery: row.delivery_id.slice(0, 8), endpoint: row.endpoint_id.slice(0, 8), attempt: row.attempts + 1, status: result.status, error: result.error, retry: retryAt !== null });
      if (rec?.disabled) {
        disabledNow.add(row.endpoint_id);
        summary.disabled += 1;
        deps.logger.warn("webhook_endpoint_disabled", { endpoint: row.endpoint_id.slice(0, 8), reason: rec.disabled });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, rows.length) }, worker));
  return summary;
}

/**
 * Delivery runs for up to `windowMs`: after each run it waits for the next delivery falling due inside the
 * window (a retry 5 or 30 seconds away), so a schedule that ticks once a minute still keeps the short delays.
 */
export async function deliverWebhooksFor(deps: DeliverDeps, opts: DeliverOptions, windowMs: number): Promise<DeliverSummary> {
  const end = Date.now() + windowMs;
  const total: DeliverSummary = { claimed: 0, delivered: 0, failed: 0, dead: 0, disabled: 0 };
  for (;;) {
    const s = await deliverWebhooks(deps, opts);
    for (const k of Object.keys(total) as (keyof DeliverSummary)[]) total[k] += s[k];
    if (s.claimed >= opts.batch && Date.now() < end) continue;
    const [row] = await deps.sql<{ next: Date | null }[]>`
      select min(d.next_attempt_at) as next
      from public.webhook_deliveries as d join public.webhook_endpoints as e on e.id = d.endpoint_id
      where d.status in ('pending', 'failed') and e.enabled and (d.lease_until is null or d.lease_until <= now())`;
    const wait = row?.next ? new Date(row.next).getTime() - Date.now() : Infinity;
    if (Date.now() + Math.max(wait, 0) > end - opts.timeoutMs) return total;
    await new Promise((r) => setTimeout(r, Math.max(wait, 50)));
  }
}
