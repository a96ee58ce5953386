import { asUser } from "../db/as-user.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import type { Runtime } from "./runtime.ts";

/** GET /functions/v1/connections: the signed-in user's connections, without secrets (README.md). */
export function connectionsRoutes(rt: Runtime): Routes {
  return {
    GET: route({
      auth: "user",
      handle: async (_req, { principal }) => {
        const rows = await asUser(rt.sql(), principal.userId, (tx) => tx`
          select provider, account_id as account, status, token_expires_at as expires_at, scopes,
                 last_refreshed_at, last_sync_error as last_error
          from public.connection_status
          order by provider, account_id`);
        return json({ connections: rows });
      },
    }),
  };
}
