// POST /functions/v1/oauth-start { provider, redirect_to, scopes?, shop?, account? } → { authorize_url, expires_at }
// (README.md).
import { withHandler } from "@shared/http/with-handler.ts";
import { oauthStartRoutes } from "@shared/routes/oauth-start.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("oauth-start");
Deno.serve(withHandler(rt, oauthStartRoutes(rt)));
