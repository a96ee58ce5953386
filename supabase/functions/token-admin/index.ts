// /functions/v1/token-admin/<route>: the operator API (README, "token-admin"): connections, refresh,
// refresh-many, runs, activity. The service role key or an admin user's JWT; a plain user gets 403.
import { requireAdmin } from "../../../packages/shared/src/admin/admin-principal.ts";
import { adminRoute } from "../../../packages/shared/src/admin/admin-request.ts";
import { handleAdmin, type AdminRoutes } from "../../../packages/shared/src/admin/admin-routes.ts";
import { leaseSecondsFromEnv } from "../../../packages/shared/src/engine/engine-deps.ts";
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("token-admin");
/** Route modules served here besides token-admin's own (the webhook routes plug in here). */
const more: AdminRoutes[] = [];

Deno.serve(withHandler(rt, { methods: ["GET", "POST", "DELETE"], auth: "user_or_service", maxBodyBytes: 16_384 }, async (req, { principal, body, url }) => {
  requireAdmin(principal);
  const deps = { sql: rt.sql(), ring: await rt.keyRing(), env: rt.env, logger: rt.logger, leaseSeconds: leaseSecondsFromEnv(rt.env) };
  const answer = await handleAdmin(deps, { method: req.method, route: adminRoute(url.pathname), query: url.searchParams, body }, more);
  return json(answer.body, answer.status);
}));
