import { claimConnection } from "../connect/claim-connection.ts";
import { connectConfig, type ConnectDeps } from "../connect/connect-deps.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import type { Runtime } from "./runtime.ts";

/**
 * POST /functions/v1/oauth-complete { connect } with the user's JWT → { provider, account, status: "connected" }:
 * the second phase of connecting. Only the user who started the flow gets the connection (claim-connection.ts).
 */
export function oauthCompleteRoutes(rt: Runtime): Routes {
  const config = connectConfig(rt.env);
  const deps = (): ConnectDeps => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });
  return {
    POST: route({
      auth: "user",
      maxBodyBytes: 1024,
      handle: async (_req, { principal, body }) => json(await claimConnection(deps(), principal.userId, body)),
    }),
  };
}
