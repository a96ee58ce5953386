import { ApiError } from "../http/api-error.ts";
import type { Principal } from "../http/authenticate.ts";

/** The `app_metadata` member that makes a user an operator of provider-tokens. */
export const ADMIN_CLAIM = "provider_tokens_admin";

/**
 * Whether the caller may use the admin functions: the service role key, or a verified user JWT whose
 * `app_metadata.provider_tokens_admin` is `true`. `app_metadata` is written only by the service role (never by
 * the user through supabase-js' `updateUser`, which writes `user_metadata`), so a user cannot grant it.
 */
export function isAdmin(principal: Principal): boolean {
  if (principal.kind === "service") return true;
  const meta = principal.claims["app_metadata"];
  return typeof meta === "object" && meta !== null && (meta as Record<string, unknown>)[ADMIN_CLAIM] === true;
}

/** Throws `403 forbidden` unless {@link isAdmin}. */
export function requireAdmin(principal: Principal): void {
  if (!isAdmin(principal)) {
    throw new ApiError("forbidden", `an admin is required: the service role key or a user with app_metadata.${ADMIN_CLAIM} = true`);
  }
}
