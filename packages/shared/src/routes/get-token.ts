import { createAccessCounter } from "../engine/access-counter.ts";
import { leaseSecondsFromEnv } from "../engine/engine-deps.ts";
import { createTokenService } from "../engine/get-token.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import { parseGetTokenRequest } from "./get-token-request.ts";
import type { Runtime } from "./runtime.ts";

/**
 * POST /functions/v1/get-token: a valid access token for the caller's connection, refreshed if it must be
 * (README.md). A user JWT reads the user's own connection; the service role key reads any user's, by user_id.
 */
export function getTokenRoutes(rt: Runtime): Routes {
  const counter = createAccessCounter(rt.sql);
  const { waitUntil } = rt;
  let service: ReturnType<typeof createTokenService> | null = null;
  return {
    POST: route({
      auth: "user_or_service",
      maxBodyBytes: 4096,
      handle: async (_req, { principal, body }) => {
        const request = parseGetTokenRequest(principal, body);
        // A refresh the provider has answered must still be saved when the caller hangs up (waitUntil).
        service ??= createTokenService(
          { sql: rt.sql(), ring: await rt.keyRing(), env: rt.env, logger: rt.logger, leaseSeconds: leaseSecondsFromEnv(rt.env) },
          { onAccess: (access) => counter.count(access), ...(waitUntil ? { waitUntil } : {}) },
        );
        return json(await service(request));
      },
    }),
  };
}
