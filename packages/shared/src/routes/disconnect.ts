import { disconnectConnection } from "../connect/disconnect-connection.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import { connectDepsOf } from "./connect-deps-of.ts";
import type { Runtime } from "./runtime.ts";

/** POST /functions/v1/disconnect { provider, account? } → { disconnected: true } (README.md). */
export function disconnectRoutes(rt: Runtime): Routes {
  const deps = connectDepsOf(rt, { warn: false });
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
