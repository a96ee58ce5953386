// GET /functions/v1/token-health[?format=prometheus]: connections by provider and status (service role key or
// an admin user's JWT; a plain user gets 403).
import { withHandler } from "@shared/http/with-handler.ts";
import { tokenHealthRoutes } from "@shared/routes/token-health.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("token-health");
Deno.serve(withHandler(rt, tokenHealthRoutes(rt)));
