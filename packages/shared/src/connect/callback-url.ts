/**
 * The `redirect_uri` sent to every provider: `OAUTH_CALLBACK_URL` when set (a custom domain, a proxy), else
 * `${SUPABASE_URL}/functions/v1/oauth-callback`. It must be registered with each provider exactly, and the
 * code exchange repeats it byte for byte.
 *
 * @throws TypeError naming the variable when neither gives an http(s) URL.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 */
export function oauthCallbackUrl(env: Readonly<Record<string, string | undefined>>): string {
  const override = env["OAUTH_CALLBACK_URL"]?.trim();
  const base = env["SUPABASE_URL"]?.trim();
  const name = override ? "OAUTH_CALLBACK_URL" : "SUPABASE_URL";
  const value = override || (base ? `${base.replace(/\/+$/, "")}/functions/v1/oauth-callback` : "");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`"${name}" must be set to an http(s) URL`);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.hash !== "" || url.username !== "") {
    throw new TypeError(`"${name}" must be an http(s) URL without a fragment or user info`);
  }
  return url.href;
}
