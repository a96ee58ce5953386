// GET /functions/v1/oauth-callback?code&state (the provider redirects the browser here; verify_jwt = false:
// the state binds the user who started) → the grant is parked and the browser sent to redirect_to with
// ?connect=<id>&provider=<p>. The logic is packages/shared/src/connect/complete-authorization.ts.
//
// POST { "sweep": "expired_grants" } with the service key: revokes and deletes parked grants nobody claimed
// (the pg_cron job revoke-expired-parked-grants, every 5 minutes). It lives here because this function has
// verify_jwt = false, so the job reaches it with either kind of service key.
import { ApiError } from "../../../packages/shared/src/http/api-error.ts";
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { rejectUnknownFields } from "../../../packages/shared/src/http/fields.ts";
import { connectConfig, type ConnectDeps } from "../../../packages/shared/src/connect/connect-deps.ts";
import { completeAuthorization } from "../../../packages/shared/src/connect/complete-authorization.ts";
import { sweepExpiredGrants } from "../../../packages/shared/src/connect/sweep-parked-grants.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("oauth-callback");
const config = connectConfig(rt.env, rt.logger);
const deps = (): ConnectDeps => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });

Deno.serve(withHandler(rt, { methods: ["GET", "POST"], auth: "none", maxBodyBytes: 1024 }, async (req, { body }) => {
  if (req.method === "GET") return completeAuthorization(deps(), req);
  await rt.authenticate(req, "service");
  rejectUnknownFields(body, ["sweep"]);
  if (body["sweep"] !== "expired_grants") throw new ApiError("invalid_request", '"sweep" must be "expired_grants"');
  const summary = await sweepExpiredGrants(deps());
  rt.logger.info("sweep_finished", { ...summary });
  return json(summary);
}));
