// GET /functions/v1/connections: the signed-in user's connections, without secrets (README.md).
import { withHandler } from "@shared/http/with-handler.ts";
import { connectionsRoutes } from "@shared/routes/connections.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("connections");
Deno.serve(withHandler(rt, connectionsRoutes(rt)));
