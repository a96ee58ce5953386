/**
 * How long an authorization may take, from oauth-start to the provider's redirect: 10 minutes (the
 * `oauth_states.expires_at` default). Long enough for a consent screen and a login, short enough that a
 * leaked authorization URL is soon worthless.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7 (CSRF protection with state)
 */
export const STATE_TTL_SECONDS = 600;

/** The table whose rows bind a PKCE verifier's ciphertext (encryptForRow's `table`). */
export const OAUTH_STATES_TABLE = "public.oauth_states";

const STATE_FORM = /^[A-Za-z0-9_-]{32,128}$/;

/**
 * Whether a callback's `state` has the form oauth-start issues (oauth4webapi's `generateRandomState`: 32
 * random bytes, base64url, 43 characters), so anything else is refused before it reaches the database.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export function isWellFormedState(value: string | null | undefined): value is string {
  return typeof value === "string" && STATE_FORM.test(value);
}

/**
 * SHA-256 of the state as 64 lower-case hex characters: only this digest is stored (`oauth_states.state_hash`,
 * `decode(hex, 'hex')`), so a copy of the table cannot be replayed at the callback.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export async function stateHashHex(state: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(state)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
