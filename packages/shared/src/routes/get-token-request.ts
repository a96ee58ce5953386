import type { GetTokenRequest } from "../engine/get-token.ts";
import { ApiError } from "../http/api-error.ts";
import type { Principal } from "../http/authenticate.ts";
import { isUuid, optionalString, rejectUnknownFields, requiredString } from "../http/fields.ts";

/**
 * Reads a get-token body `{ provider, account?, user_id? }`: a user reads their own connection (no `user_id`);
 * the service role key must name the user by `user_id` (a UUID).
 */
export function parseGetTokenRequest(principal: Principal, body: Record<string, unknown>): GetTokenRequest {
  rejectUnknownFields(body, ["provider", "account", "user_id"]);
  const provider = requiredString(body, "provider", 64);
  const account = optionalString(body, "account", 255);
  const userIdField = optionalString(body, "user_id", 64);
  if (principal.kind === "service") {
    if (!userIdField) throw new ApiError("invalid_request", '"user_id" is required with the service role key');
    if (!isUuid(userIdField)) throw new ApiError("invalid_request", '"user_id" must be a UUID');
    return { userId: userIdField.toLowerCase(), provider, account, by: "service" };
  }
  if (userIdField !== undefined) throw new ApiError("invalid_request", '"user_id" is only accepted with the service role key');
  return { userId: principal.userId, provider, account, by: "user" };
}
