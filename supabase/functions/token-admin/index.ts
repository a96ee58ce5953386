// /functions/v1/token-admin/<route>: the operator API (README, "token-admin"): connections, refresh,
// refresh-many, runs, activity, and the webhook endpoints and deliveries of the alerts. The service role key or
// an admin user's JWT; a plain user gets 403.
import { requireAdmin } from "../../../packages/shared/src/admin/admin-principal.ts";
import { adminRoute } from "../../../packages/shared/src/admin/admin-request.ts";
import { handleAdmin } from "../../../packages/shared/src/admin/admin-routes.ts";
import { handleAlertsAdmin } from "../../../packages/shared/src/alerts/admin-routes.ts";
import { leaseSecondsFromEnv } from "../../../packages/shared/src/engine/engine-deps.ts";
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("token-admin");

Deno.serve(withHandler(rt, { methods: ["GET", "POST", "DELETE"], auth: "user_or_service", maxBodyBytes: 16_384 }, async (req, { principal, body, url }) => {
  requireAdmin(principal);
  const ring = await rt.keyRing();
  const deps = { sql: rt.sql(), ring, env: rt.env, logger: rt.logger, leaseSeconds: leaseSecondsFromEnv(rt.env) };
  const alerts = (sql: typeof deps.sql, r: Parameters<typeof handleAlertsAdmin>[1]) => handleAlertsAdmin(sql, r, ring);
  const answer = await handleAdmin(deps, { method: req.method, route: adminRoute(url.pathname), query: url.searchParams, body }, [alerts]);
  return json(answer.body, answer.status);
}));
