// POST /functions/v1/oauth-complete { connect } with the user's JWT → { provider, account, status: "connected" }
// (second phase of connecting; verify_jwt = true).
import { withHandler } from "@shared/http/with-handler.ts";
import { oauthCompleteRoutes } from "@shared/routes/oauth-complete.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("oauth-complete");
Deno.serve(withHandler(rt, oauthCompleteRoutes(rt)));
