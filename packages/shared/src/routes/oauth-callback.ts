import { completeAuthorization } from "../connect/complete-authorization.ts";
import { sweepExpiredGrants } from "../connect/sweep-parked-grants.ts";
import { ApiError } from "../http/api-error.ts";
import { rejectUnknownFields } from "../http/fields.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import { connectDepsOf } from "./connect-deps-of.ts";
import type { Runtime } from "./runtime.ts";

/**
 * GET /functions/v1/oauth-callback?code&state: the provider redirects the browser here (no credentials: the
 * state binds the user who started); the grant is parked and the browser sent to redirect_to.
 *
 * POST { "sweep": "expired_grants" } with the service key: revokes and deletes parked grants nobody claimed
 * (the pg_cron job revoke-expired-parked-grants). It lives here because this function has verify_jwt = false,
 * so the job reaches it with either kind of service key.
 */
export function oauthCallbackRoutes(rt: Runtime): Routes {
  const deps = connectDepsOf(rt, { warn: true });
  return {
    GET: route({ auth: "none", handle: (req) => completeAuthorization(deps(), req) }),
    POST: route({
      auth: "service",
      maxBodyBytes: 1024,
      handle: async (_req, { body }) => {
        rejectUnknownFields(body, ["sweep"]);
        if (body["sweep"] !== "expired_grants") throw new ApiError("invalid_request", '"sweep" must be "expired_grants"');
        const summary = await sweepExpiredGrants(deps());
        rt.logger.info("sweep_finished", { ...summary });
        return json(summary);
      },
    }),
  };
}
