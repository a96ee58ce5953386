/**
 * The `Authorization: Basic` value for client credentials. The id and secret are joined as `id:secret` and
 * base64-encoded as UTF-8, as the providers in the catalog document it (Spotify, Reddit, X, Xero, Intuit,
 * Discord); the RFC 6749 §2.3.1 form-encoding step is skipped because it only changes characters that these
 * providers do not issue in ids and secrets, and some of them do not undo it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7617#section-2
 * @see https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const bytes = new TextEncoder().encode(`${clientId}:${clientSecret}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/**
 * How the client authenticates on a token or revocation call (`omit`: not at all).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "none" | "omit";

/**
 * Applies a client authentication method: `client_secret_basic` sets the Authorization header;
 * `client_secret_post` adds `client_id` and `client_secret` to the body; `none` adds only `client_id` (a
 * public client, as Etsy's token endpoint and Twitch's revocation expect); `omit` adds nothing.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2 (method names)
 */
export function applyClientAuthentication(
  method: ClientAuthMethod,
  client: { readonly clientId: string; readonly clientSecret: string },
  headers: Headers,
  params: Map<string, string>,
): void {
  switch (method) {
    case "client_secret_basic":
      headers.set("authorization", basicAuthorization(client.clientId, client.clientSecret));
      return;
    case "client_secret_post":
      params.set("client_id", client.clientId);
      params.set("client_secret", client.clientSecret);
      return;
    case "none":
      params.set("client_id", client.clientId);
      return;
    case "omit":
      return;
  }
}
