import { requireAdmin } from "../admin/admin-principal.ts";
import { adminRoute } from "../admin/admin-request.ts";
import { handleAdmin } from "../admin/admin-routes.ts";
import { handleAlertsAdmin } from "../alerts/admin-routes.ts";
import { leaseSecondsFromEnv } from "../engine/engine-deps.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import type { Runtime } from "./runtime.ts";

/**
 * /functions/v1/token-admin/<route>: the operator API (connections, refresh, refresh-many, runs, activity, and
 * the alerts' webhook endpoints and deliveries), for admins.
 */
export function tokenAdminRoutes(rt: Runtime): Routes {
  const admin = route({
    auth: "user_or_service",
    maxBodyBytes: 16_384,
    handle: async (req, { principal, body, url }) => {
      requireAdmin(principal);
      const ring = await rt.keyRing();
      const deps = { sql: rt.sql(), ring, env: rt.env, logger: rt.logger, leaseSeconds: leaseSecondsFromEnv(rt.env) };
      const alerts = (sql: typeof deps.sql, r: Parameters<typeof handleAlertsAdmin>[1]) => handleAlertsAdmin(sql, r, ring);
      const answer = await handleAdmin(deps, { method: req.method, route: adminRoute(url.pathname), query: url.searchParams, body }, [alerts]);
      return json(answer.body, answer.status);
    },
  });
  return { GET: admin, POST: admin, DELETE: admin };
}
