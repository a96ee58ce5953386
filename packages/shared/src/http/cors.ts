/**
 * CORS headers for browser callers (supabase-js sends `authorization`, `apikey`, `x-client-info`,
 * `content-type`). Credentials travel in headers, not cookies, so any origin may call.
 * https://supabase.com/docs/guides/functions/cors
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, x-supabase-api-version",
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  // A page on another origin reads Retry-After of a 503 provider_unavailable only when it is exposed.
  "access-control-expose-headers": "retry-after",
  "access-control-max-age": "86400",
};

/**
 * Sets the CORS headers on the response. A response we built has mutable headers and is changed in place
 * (re-wrapping its body would turn a fixed-length body into a stream); one with immutable headers (from
 * fetch) is copied.
 */
export function withCors(res: Response): Response {
  if (res.headers.get("access-control-allow-origin") === CORS_HEADERS["access-control-allow-origin"]) return res;
  try {
    for (const [k, v] of Object.entries(CORS_HEADERS)) res.headers.set(k, v);
    return res;
  } catch {
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(CORS_HEADERS)) headers.set(k, v);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}
