import { deliverOptionsFromEnv, deliverWebhooks, deliverWebhooksFor } from "../alerts/deliver-webhooks.ts";
import { ensureEnvironmentEndpoint } from "../alerts/environment-endpoint.ts";
import { WebhookInputError } from "../alerts/webhook-endpoint-input.ts";
import { ApiError } from "../http/api-error.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import { prefersRespondAsync } from "./run-request.ts";
import type { Runtime } from "./runtime.ts";

/**
 * POST /functions/v1/deliver-webhooks: one delivery run of the alert outbox (pg_cron calls it every minute
 * through pg_net while something is due). Service role key only; the body is {}.
 *
 * Every run first makes sure the endpoint of WEBHOOK_URL + WEBHOOK_SECRET exists (idempotent). With
 * `Prefer: respond-async` (what the schedule sends) it answers 202 at once and delivers inside the host's
 * waitUntil; without it the caller waits for the summary.
 */
export function deliverWebhooksRoutes(rt: Runtime): Routes {
  const options = deliverOptionsFromEnv(rt.env);
  return {
    POST: route({
      auth: "service",
      maxBodyBytes: 1024,
      handle: async (req, { body }) => {
        if (Object.keys(body).length > 0) throw new ApiError("invalid_request", "the body must be an empty JSON object");
        const sql = rt.sql();
        const ring = await rt.keyRing();
        try {
          await ensureEnvironmentEndpoint(sql, ring, rt.env);
        } catch (err) {
          // A misconfigured WEBHOOK_URL must not stop the table's endpoints from getting their events.
          if (err instanceof WebhookInputError) rt.logger.error("webhook_env_invalid", { field: err.field, message: err.message });
          else throw err;
        }
        const respondAsync = prefersRespondAsync(req.headers.get("prefer"));
        // The schedule's call (respond-async) keeps delivering for 50 s, retries falling due included; a direct
        // call delivers what is due now and answers with the summary.
        const deps = { sql, ring, logger: rt.logger };
        const run = respondAsync ? deliverWebhooksFor(deps, options, 50_000) : deliverWebhooks(deps, options);
        const settled = run.then(
          (summary) => summary.claimed > 0 && rt.logger.info("webhooks_delivered", { ...summary }),
          (err) => rt.logger.error("webhooks_failed", { error: (err as Error)?.name }),
        ).finally(rt.flushLogs);
        rt.waitUntil?.(settled);
        if (respondAsync) return json({ accepted: true }, 202, { "preference-applied": "respond-async" });
        return json(await run);
      },
    }),
  };
}
