import { requireAdmin } from "../admin/admin-principal.ts";
import { ApiError } from "../http/api-error.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import { toPrometheus, tokenHealth } from "../ops/token-health.ts";
import type { Runtime } from "./runtime.ts";

/** GET /functions/v1/token-health[?format=prometheus]: connections by provider and status, for admins. */
export function tokenHealthRoutes(rt: Runtime): Routes {
  return {
    GET: route({
      auth: "user_or_service",
      handle: async (_req, { principal, url }) => {
        requireAdmin(principal);
        const format = url.searchParams.get("format") ?? "json";
        if (format !== "json" && format !== "prometheus") throw new ApiError("invalid_request", '"format" must be json or prometheus');
        const health = await tokenHealth(rt.sql(), rt.env);
        if (format === "prometheus") {
          return new Response(toPrometheus(health), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" } });
        }
        return json(health);
      },
    }),
  };
}
