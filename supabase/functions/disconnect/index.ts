// POST /functions/v1/disconnect { provider, account? } → { disconnected: true } (README.md): revokes at the
// provider where it can, then wipes the tokens. The logic is packages/shared/src/connect/disconnect-connection.ts.
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { connectConfig, type ConnectDeps } from "../../../packages/shared/src/connect/connect-deps.ts";
import { disconnectConnection } from "../../../packages/shared/src/connect/disconnect-connection.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("disconnect");
const config = connectConfig(rt.env);
const deps = (): ConnectDeps => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });

Deno.serve(withHandler(rt, { methods: ["POST"], auth: "user" }, async (_req, { principal, body }) => {
  if (principal?.kind !== "user") throw new Error("unreachable: auth mode is user");
  await disconnectConnection(deps(), principal.userId, body);
  return json({ disconnected: true });
}));
