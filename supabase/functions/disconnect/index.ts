// POST /functions/v1/disconnect { provider, account? } → { disconnected: true } (README.md): revokes at the
// provider where it can, then wipes the tokens.
import { withHandler } from "@shared/http/with-handler.ts";
import { disconnectRoutes } from "@shared/routes/disconnect.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("disconnect");
Deno.serve(withHandler(rt, disconnectRoutes(rt)));
