import { connectConfig, type ConnectDeps } from "../connect/connect-deps.ts";
import { disconnectConnection } from "../connect/disconnect-connection.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import type { Runtime } from "./runtime.ts";

/** POST /functions/v1/disconnect { provider, account? } → { disconnected: true } (README.md). */
export function disconnectRoutes(rt: Runtime): Routes {
  const config = connectConfig(rt.env);
  const deps = (): ConnectDeps => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });
  return {
    POST: route({
      auth: "user",
      handle: async (_req, { principal, body }) => {
        await disconnectConnection(deps(), principal.userId, body);
        return json({ disconnected: true });
      },
    }),
  };
}
