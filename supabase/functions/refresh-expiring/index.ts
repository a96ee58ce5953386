// POST /functions/v1/refresh-expiring: one scheduled run (pg_cron, one request per partition). Service role key only.
import { withHandler } from "@shared/http/with-handler.ts";
import { refreshExpiringRoutes } from "@shared/routes/refresh-expiring.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("refresh-expiring");
Deno.serve(withHandler(rt, refreshExpiringRoutes(rt)));
