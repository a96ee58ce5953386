/**
 * CORS headers of an actual response: any origin may read it (credentials travel in headers, not cookies),
 * and a page on another origin reads Retry-After of a 503 provider_unavailable only when it is exposed.
 * https://fetch.spec.whatwg.org/#http-responses
 */
export const CORS_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "retry-after",
};

/**
 * CORS headers of a preflight (OPTIONS) answer: the response headers plus what the browser may send
 * (supabase-js sends `authorization`, `apikey`, `x-client-info`, `content-type`) and how long it may cache
 * that. Only a preflight reads these, so actual responses go without them (each header costs the runtime time
 * on every response). https://supabase.com/docs/guides/functions/cors
 */
export const CORS_PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  ...CORS_RESPONSE_HEADERS,
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, x-supabase-api-version",
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-max-age": "86400",
};

/** The answer to a CORS preflight. */
export function preflightResponse(): Response {
  return new Response(null, { status: 204, headers: CORS_PREFLIGHT_HEADERS });
}

/**
 * Sets the CORS headers of an actual response. A response we built has mutable headers and is changed in
 * place (re-wrapping its body would turn a fixed-length body into a stream); one with immutable headers (from
 * fetch) is copied. One built by `json` has them already and is left alone.
 */
export function withCors(res: Response): Response {
  if (res.headers.get("access-control-allow-origin") === CORS_RESPONSE_HEADERS["access-control-allow-origin"]) return res;
  try {
    for (const [k, v] of Object.entries(CORS_RESPONSE_HEADERS)) res.headers.set(k, v);
    return res;
  } catch {
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(CORS_RESPONSE_HEADERS)) headers.set(k, v);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}
