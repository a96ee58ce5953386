import { connectConfig, type ConnectDeps } from "../connect/connect-deps.ts";
import { startAuthorization } from "../connect/start-authorization.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import type { Runtime } from "./runtime.ts";

/** POST /functions/v1/oauth-start { provider, redirect_to, scopes?, shop?, account? } → { authorize_url, expires_at }. */
export function oauthStartRoutes(rt: Runtime): Routes {
  const config = connectConfig(rt.env, rt.logger);
  const deps = (): ConnectDeps => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });
  return {
    POST: route({
      auth: "user",
      handle: async (_req, { principal, body }) => json(await startAuthorization(deps(), principal.userId, body)),
    }),
  };
}
