// GET /functions/v1/oauth-callback?code&state (the provider redirects the browser here; verify_jwt = false:
// the state binds the user) → 302 to the stored redirect_to (contract.md). The logic is
// packages/shared/src/connect/complete-authorization.ts.
import { withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { connectConfig, type ConnectDeps } from "../../../packages/shared/src/connect/connect-deps.ts";
import { completeAuthorization } from "../../../packages/shared/src/connect/complete-authorization.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("oauth-callback");
const config = connectConfig(rt.env, rt.logger);
const deps = (): ConnectDeps => ({ env: rt.env, sql: rt.sql(), keyRing: rt.keyRing, logger: rt.logger, config });

Deno.serve(withHandler(rt, { methods: ["GET"], auth: "none" }, (req) => completeAuthorization(deps(), req)));
