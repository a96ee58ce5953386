import type { ResolvedProvider } from "../providers/resolve-provider.ts";

/**
 * Expands `{client_id}` and `{client_secret}` in catalog header values (Etsy's `x-api-key`, Reddit's
 * User-Agent) and returns them as `Headers`.
 *
 * @see https://developers.etsy.com/documentation/essentials/authentication
 */
export function expandHeaders(provider: ResolvedProvider, templates: Readonly<Record<string, string>>): Headers {
  const headers = new Headers();
  for (const [name, template] of Object.entries(templates)) {
    headers.set(name, template.replaceAll("{client_id}", provider.clientId).replaceAll("{client_secret}", provider.clientSecret));
  }
  return headers;
}

/**
 * Encodes request parameters as `application/x-www-form-urlencoded` or JSON (Shopify), setting Content-Type.
 * Parameter order is kept.
 *
 * @see https://url.spec.whatwg.org/#concept-urlencoded-serializer
 */
export function encodeBody(format: "form" | "json", params: ReadonlyMap<string, string>, headers: Headers): string {
  if (format === "json") {
    headers.set("content-type", "application/json");
    return JSON.stringify(Object.fromEntries(params));
  }
  headers.set("content-type", "application/x-www-form-urlencoded");
  return new URLSearchParams([...params]).toString();
}

/**
 * Throws a TypeError naming `name` unless `value` is a non-empty string.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export function requireString(value: unknown, name: string): asserts value is string {
  if (typeof value !== "string" || value === "") throw new TypeError(`"${name}" must be a non-empty string`);
}
