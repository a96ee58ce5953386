// GET /functions/v1/connections: the signed-in user's connections, without secrets (README.md).
import { withHandler, json } from "../../../packages/shared/src/http/with-handler.ts";
import { asUser } from "../../../packages/shared/src/db/as-user.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("connections");

Deno.serve(withHandler(rt, { methods: ["GET"], auth: "user" }, async (_req, { principal }) => {
  if (principal?.kind !== "user") throw new Error("unreachable: auth mode is user");
  const rows = await asUser(rt.sql(), principal.userId, (tx) => tx`
    select provider, account_id as account, status, token_expires_at as expires_at, scopes,
           last_refreshed_at, last_sync_error as last_error
    from public.connection_status
    order by provider, account_id`);
  return json({ connections: rows });
}));
