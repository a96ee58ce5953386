// POST /functions/v1/get-token: a valid access token for the caller's connection, refreshed if it must be
// (README.md). A user JWT reads the user's own connection; the service role key reads any user's, by user_id.
import { withHandler } from "@shared/http/with-handler.ts";
import { getTokenRoutes } from "@shared/routes/get-token.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("get-token");
Deno.serve(withHandler(rt, getTokenRoutes(rt)));
