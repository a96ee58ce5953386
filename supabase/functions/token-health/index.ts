// GET /functions/v1/token-health[?format=prometheus]: connections by provider and status (service role key or
// an admin user's JWT; a plain user gets 403).
import { requireAdmin } from "../../../packages/shared/src/admin/admin-principal.ts";
import { ApiError } from "../../../packages/shared/src/http/api-error.ts";
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { toPrometheus, tokenHealth } from "../../../packages/shared/src/ops/token-health.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("token-health");

Deno.serve(withHandler(rt, { methods: ["GET"], auth: "user_or_service" }, async (_req, { principal, url }) => {
  requireAdmin(principal);
  const format = url.searchParams.get("format") ?? "json";
  if (format !== "json" && format !== "prometheus") throw new ApiError("invalid_request", '"format" must be json or prometheus');
  const health = await tokenHealth(rt.sql(), rt.env);
  if (format === "prometheus") {
    return new Response(toPrometheus(health), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" } });
  }
  return json(health);
}));
