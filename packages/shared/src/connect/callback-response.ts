import { json } from "../http/with-handler.ts";

/**
 * The `error` values oauth-callback appends to `redirect_to` (the app shows a message and offers to retry):
 *
 * - `access_denied`: the user declined consent at the provider.
 * - `authorization_failed`: the provider redirected back with another error.
 * - `callback_invalid`: the redirect lacked `code` or an account parameter, or a Shopify one its `hmac`.
 * - `account_mismatch`: the user authorized another account than the one oauth-start asked for.
 * - `exchange_failed`: the provider refused the authorization code (or did not answer).
 * - `identity_failed`: the account id could not be read (e.g. Xero connections, Spotify /me).
 * - `provider_not_configured`: the provider's credentials were removed meanwhile.
 * - `server_error`: anything else; nothing was stored.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export const CONNECT_ERROR_CODES = [
  "access_denied",
  "authorization_failed",
  "callback_invalid",
  "account_mismatch",
  "exchange_failed",
  "identity_failed",
  "provider_not_configured",
  "server_error",
] as const;

/**
 * One of {@link CONNECT_ERROR_CODES}.
 */
export type ConnectErrorCode = (typeof CONNECT_ERROR_CODES)[number];

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

/** The query parameters oauth-callback owns on `redirect_to`: any the app put there are replaced. */
export const CALLBACK_RESULT_PARAMS = ["connect", "provider", "error", "connected"] as const;

/**
 * A 302 to the stored (allow-listed) `redirect_to` with `params` set in its query (after removing every one
 * of {@link CALLBACK_RESULT_PARAMS}, so a stale `error` never sits beside a fresh `connect`); the rest of its
 * query and its fragment are kept. `Referrer-Policy: no-referrer` keeps the callback URL (code, state) out of the next
 * request's `Referer`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.2.4
 */
export function redirectResponse(redirectTo: string, params: Readonly<Record<string, string>>): Response {
  const url = new URL(redirectTo);
  for (const name of CALLBACK_RESULT_PARAMS) url.searchParams.delete(name);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return new Response(null, { status: 302, headers: { location: url.href, ...SECURITY_HEADERS } });
}

/**
 * The answer to a callback that has no trusted place to return to (unknown, expired or reused `state`; a
 * Shopify `hmac` that does not verify). Never a redirect to anything the request names, so the callback cannot
 * be turned into an open redirector:
 *
 * - With `OAUTH_ERROR_URL` configured, a browser (`Accept: text/html`) is sent there with
 *   `?error=callback_invalid`: the operator's own page, on the app's domain, explains and offers to start again.
 * - Otherwise a browser gets a 400 page in plain text. Hosted Supabase serves `text/html` from a function's
 *   GET as `text/plain` unless the project has a custom domain, so the page is written to read well as text.
 * - Any other caller gets the contract's JSON error.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.11
 */
export function invalidCallbackResponse(request: Request, message: string, errorPageUrl?: string): Response {
  if (!(request.headers.get("accept") ?? "").includes("text/html")) {
    return json({ error: { code: "invalid_request", message } }, 400, SECURITY_HEADERS);
  }
  if (errorPageUrl !== undefined) return redirectResponse(errorPageUrl, { error: "callback_invalid" });
  const page = [
    "This connection link cannot be used",
    "",
    `Reason: ${message.replace(/[^\x20-\x7e]/g, "?")}.`,
    "",
    "Nothing was connected. Go back to the app and start connecting again;",
    "a connection link works once, within 10 minutes.",
    "",
  ].join("\n");
  return new Response(page, {
    status: 400,
    headers: { "content-type": "text/plain; charset=utf-8", "content-security-policy": "default-src 'none'", ...SECURITY_HEADERS },
  });
}

/**
 * Reads `OAUTH_ERROR_URL`: an absolute http(s) URL without user info or fragment, or undefined (unset or
 * malformed: the plain-text page is used then).
 */
export function parseErrorPageUrl(value: string | undefined): { url: string | undefined; invalid: boolean } {
  const raw = value?.trim() ?? "";
  if (raw === "") return { url: undefined, invalid: false };
  try {
    const url = new URL(raw);
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username !== "" || url.password !== "" || url.hash !== "") {
      return { url: undefined, invalid: true };
    }
    return { url: url.href, invalid: false };
  } catch {
    return { url: undefined, invalid: true };
  }
}
