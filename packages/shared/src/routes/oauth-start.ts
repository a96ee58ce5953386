import { startAuthorization } from "../connect/start-authorization.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import { connectDepsOf } from "./connect-deps-of.ts";
import type { Runtime } from "./runtime.ts";

/** POST /functions/v1/oauth-start { provider, redirect_to, scopes?, shop?, account? } → { authorize_url, expires_at }. */
export function oauthStartRoutes(rt: Runtime): Routes {
  const deps = connectDepsOf(rt, { warn: true });
  return {
    POST: route({
      auth: "user",
      handle: async (_req, { principal, body }) => json(await startAuthorization(deps(), principal.userId, body)),
    }),
  };
}
