// POST /functions/v1/deliver-webhooks: one delivery run of the alert outbox. Service role key only.
import { withHandler } from "@shared/http/with-handler.ts";
import { deliverWebhooksRoutes } from "@shared/routes/deliver-webhooks.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("deliver-webhooks");
Deno.serve(withHandler(rt, deliverWebhooksRoutes(rt)));
