// POST /functions/v1/get-token: a valid access token for the caller's connection, refreshed if it must be
// (README.md). A user JWT reads the user's own connection; the service role key reads any user's, by user_id.
import { ApiError } from "../../../packages/shared/src/http/api-error.ts";
import { isUuid, optionalString, rejectUnknownFields, requiredString } from "../../../packages/shared/src/http/fields.ts";
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { createAccessCounter } from "../../../packages/shared/src/engine/access-counter.ts";
import { createTokenService } from "../../../packages/shared/src/engine/get-token.ts";
import { leaseSecondsFromEnv } from "../../../packages/shared/src/engine/engine-deps.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("get-token");
// Supabase's edge runtime ends a worker's work with its response unless told otherwise: a refresh the
// provider has answered must still be saved when the caller hangs up. Plain Deno keeps running anyway.
const edgeRuntime = (globalThis as { EdgeRuntime?: { waitUntil?: (work: Promise<unknown>) => void } }).EdgeRuntime;
const waitUntil = typeof edgeRuntime?.waitUntil === "function" ? (work: Promise<unknown>) => edgeRuntime.waitUntil!(work) : undefined;
const counter = createAccessCounter(rt.sql);
let service: ReturnType<typeof createTokenService> | null = null;

Deno.serve(withHandler(rt, { methods: ["POST"], auth: "user_or_service", maxBodyBytes: 4096 }, async (_req, { principal, body }) => {
  rejectUnknownFields(body, ["provider", "account", "user_id"]);
  const provider = requiredString(body, "provider", 64);
  const account = optionalString(body, "account", 255);
  const userIdField = optionalString(body, "user_id", 64);
  let userId: string;
  const by = principal?.kind === "service" ? "service" : "user";
  if (principal?.kind === "service") {
    if (!userIdField) throw new ApiError("invalid_request", '"user_id" is required with the service role key');
    if (!isUuid(userIdField)) throw new ApiError("invalid_request", '"user_id" must be a UUID');
    userId = userIdField.toLowerCase();
  } else if (principal?.kind === "user") {
    if (userIdField !== undefined) throw new ApiError("invalid_request", '"user_id" is only accepted with the service role key');
    userId = principal.userId;
  } else {
    throw new ApiError("unauthorized", "credentials are required");
  }
  service ??= createTokenService(
    { sql: rt.sql(), ring: await rt.keyRing(), env: rt.env, logger: rt.logger, leaseSeconds: leaseSecondsFromEnv(rt.env) },
    { onAccess: (access) => counter.count(access), ...(waitUntil ? { waitUntil } : {}) },
  );
  return json(await service({ userId, provider, account, by }));
}));
