// GET /functions/v1/oauth-callback?code&state: the provider redirects the browser here (verify_jwt = false: the
// state binds the user who started). POST { "sweep": "expired_grants" } with the service key: the parked-grant sweep.
import { withHandler } from "@shared/http/with-handler.ts";
import { oauthCallbackRoutes } from "@shared/routes/oauth-callback.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("oauth-callback");
Deno.serve(withHandler(rt, oauthCallbackRoutes(rt)));
