import { claimConnection } from "../connect/claim-connection.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import { connectDepsOf } from "./connect-deps-of.ts";
import type { Runtime } from "./runtime.ts";

/**
 * POST /functions/v1/oauth-complete { connect } with the user's JWT → { provider, account, status: "connected" }:
 * the second phase of connecting. Only the user who started the flow gets the connection (claim-connection.ts).
 */
export function oauthCompleteRoutes(rt: Runtime): Routes {
  const deps = connectDepsOf(rt, { warn: false });
  return {
    POST: route({
      auth: "user",
      maxBodyBytes: 1024,
      handle: async (_req, { principal, body }) => json(await claimConnection(deps(), principal.userId, body)),
    }),
  };
}
