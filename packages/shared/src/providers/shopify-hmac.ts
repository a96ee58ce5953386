/**
 * Provider hook (Shopify): verifies the `hmac` parameter Shopify adds to its install and OAuth redirects.
 * Data cannot express it: it is an HMAC-SHA256, keyed with the client secret, over the other query parameters
 * sorted by name and joined as a query string, compared in constant time.
 *
 * @param params - The callback's query parameters.
 * @param clientSecret - The app's client secret.
 * @returns Whether the `hmac` is present and valid.
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-1-verify-the-installation-request
 */
export async function verifyShopifyHmac(params: URLSearchParams, clientSecret: string): Promise<boolean> {
  const received = params.get("hmac");
  if (received === null || !/^[0-9a-f]{64}$/i.test(received)) return false;
  const rest = [...params].filter(([name]) => name !== "hmac" && name !== "signature");
  rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const message = new URLSearchParams(rest).toString();
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(clientSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const digest = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
  const expected = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  const actual = received.toLowerCase();
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ actual.charCodeAt(i);
  return diff === 0;
}
