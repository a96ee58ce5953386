// POST /functions/v1/refresh-expiring: one scheduled run (pg_cron calls it every minute through pg_net).
// Service role key only; the body is {} and anything else is refused.
import { rejectUnknownFields } from "../../../packages/shared/src/http/fields.ts";
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { runOptionsFromEnv, runRefreshExpiring } from "../../../packages/shared/src/engine/refresh-expiring.ts";
import { leaseSecondsFromEnv } from "../../../packages/shared/src/engine/engine-deps.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("refresh-expiring");
const options = runOptionsFromEnv(rt.env);

Deno.serve(withHandler(rt, { methods: ["POST"], auth: "service", maxBodyBytes: 1024 }, async (_req, { body }) => {
  rejectUnknownFields(body, []);
  const summary = await runRefreshExpiring({ sql: rt.sql(), ring: await rt.keyRing(), env: rt.env, logger: rt.logger, leaseSeconds: leaseSecondsFromEnv(rt.env) }, options);
  rt.logger.info("run_finished", { ...summary });
  return json(summary);
}));
