// /functions/v1/token-admin/<route>: the operator API (README, "token-admin"). The service role key or an admin
// user's JWT; a plain user gets 403.
import { withHandler } from "@shared/http/with-handler.ts";
import { tokenAdminRoutes } from "@shared/routes/token-admin.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("token-admin");
Deno.serve(withHandler(rt, tokenAdminRoutes(rt)));
