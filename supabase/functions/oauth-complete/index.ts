// POST /functions/v1/oauth-complete { connect } with the user's JWT → { provider, account, status: "connected" }
// (second phase of connecting; verify_jwt = true). Only the user who started the flow gets the connection;
// anyone else gets 403 and the parked grant is discarded and revoked. The logic is
// packages/shared/src/connect/claim-connection.ts.
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { connectConfig, type ConnectDeps } from "../../../packages/shared/src/connect/connect-deps.ts";
import { claimConnection } from "../../../packages/shared/src/connect/claim-connection.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("oauth-complete");
const config = connectConfig(rt.env);
const deps = (): ConnectDeps => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });

Deno.serve(withHandler(rt, { methods: ["POST"], auth: "user", maxBodyBytes: 1024 }, async (_req, { principal, body }) => {
  if (principal?.kind !== "user") throw new Error("unreachable: auth mode is user");
  return json(await claimConnection(deps(), principal.userId, body));
}));
