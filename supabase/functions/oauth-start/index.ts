// POST /functions/v1/oauth-start { provider, redirect_to, scopes?, shop?, account? } → { authorize_url, expires_at }
// (README.md). The logic is packages/shared/src/connect/start-authorization.ts.
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { connectConfig, type ConnectDeps } from "../../../packages/shared/src/connect/connect-deps.ts";
import { startAuthorization } from "../../../packages/shared/src/connect/start-authorization.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("oauth-start");
const config = connectConfig(rt.env, rt.logger);
const deps = (): ConnectDeps => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });

Deno.serve(withHandler(rt, { methods: ["POST"], auth: "user" }, async (_req, { principal, body }) => {
  if (principal?.kind !== "user") throw new Error("unreachable: auth mode is user");
  return json(await startAuthorization(deps(), principal.userId, body));
}));
