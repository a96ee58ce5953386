import { ApiError } from "../http/api-error.ts";

/**
 * One entry of `ALLOWED_REDIRECT_URLS`: an exact origin and a path prefix (`""` for the whole origin).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.11 (open redirection)
 */
export interface AllowedRedirect {
  /** `scheme://host[:port]`, as `URL.origin` serialises it (lower-case host, default port dropped). */
  readonly origin: string;
  /** Path without a trailing `/`; a redirect matches it exactly or continues it with `/...`. */
  readonly pathPrefix: string;
}

/** Longest `redirect_to` accepted (the `oauth_states.redirect_to` column allows 2,048 characters). */
export const MAX_REDIRECT_TO_LENGTH = 2048;

/**
 * Parses `ALLOWED_REDIRECT_URLS` (comma-separated absolute http(s) URLs such as
 * `https://app.example.com/oauth,http://localhost:3000`). An entry with user info, a query or a fragment, or
 * that is not an http(s) URL, is skipped and counted in `invalid` (the caller logs it; it never widens the list).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.11
 * @see https://url.spec.whatwg.org/#concept-url-origin
 */
export function parseAllowedRedirects(value: string | undefined): { allowed: AllowedRedirect[]; invalid: number } {
  const allowed: AllowedRedirect[] = [];
  let invalid = 0;
  for (const raw of (value ?? "").split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const url = parseHttpUrl(entry);
    if (url === undefined || url.search !== "" || url.hash !== "" || entry.includes("?") || entry.includes("#")) {
      invalid += 1;
      continue;
    }
    allowed.push({ origin: url.origin, pathPrefix: url.pathname.replace(/\/+$/, "") });
  }
  return { allowed, invalid };
}

/**
 * Checks a caller's `redirect_to` against the allow-list and returns it normalised (WHATWG URL
 * serialisation: dot segments resolved, host lower-cased). The comparison is on the parsed URL, exact origin
 * and path prefix on a segment boundary (`/app` admits `/app` and `/app/done`, not `/apple`), after refusing
 * anything a browser could read differently: control characters, whitespace, backslashes, non-ASCII,
 * user info (`https://app@evil.example`), and every form that is not an absolute `http(s)://host` URL
 * (`javascript:`, `data:`, protocol-relative `//evil.example`, relative paths), and paths with dot segments or
 * encoded slashes, backslashes or dots (`/prefix/..%2Fadmin`), which some servers resolve after the check. A redirect to an address the
 * operator did not list would make the callback an open redirector (RFC 9700 section 4.11).
 *
 * @throws ApiError `invalid_request` naming `"redirect_to"`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.15
 */
export function checkRedirectTo(value: string, allowed: readonly AllowedRedirect[]): URL {
  const refuse = (why: string) => new ApiError("invalid_request", `"redirect_to" ${why}`);
  if (value.length === 0 || value.length > MAX_REDIRECT_TO_LENGTH) {
    throw refuse(`must be 1 to ${MAX_REDIRECT_TO_LENGTH} characters`);
  }
  // Printable ASCII only: no whitespace or control characters (the URL parser silently drops tabs and
  // newlines), no backslash (a browser reads it as '/'), no non-ASCII (send IDNs in punycode).
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes("\\")) {
    throw refuse("must be an absolute http(s) URL without spaces, control characters or backslashes");
  }
  if (!/^https?:\/\/[^/?#]/i.test(value)) throw refuse("must be an absolute http(s) URL");
  const url = parseHttpUrl(value);
  if (url === undefined) throw refuse("must be an absolute http(s) URL");
  if (url.username !== "" || url.password !== "" || /^https?:\/\/[^/?#]*@/i.test(value)) {
    throw refuse("must not contain user information");
  }
  // The path as written, before the parser resolves anything: a server or framework that decodes %2F or %5C
  // into a separator, or %2E into a dot, would route `/prefix/..%2Fadmin` outside the allowed prefix.
  const rawPath = /^https?:\/\/[^/?#]*([^?#]*)/i.exec(value)?.[1] ?? "";
  if (/%(2f|5c|2e)/i.test(rawPath)) throw refuse("must not contain encoded slashes, backslashes or dots in its path");
  if (rawPath.split("/").some((segment) => segment === "." || segment === "..")) {
    throw refuse("must not contain dot segments (/./ or /../) in its path");
  }
  if (allowed.length === 0) throw refuse("is not allowed: no redirect URL is configured (ALLOWED_REDIRECT_URLS)");
  const match = allowed.some(
    (a) => url.origin === a.origin && (a.pathPrefix === "" || url.pathname === a.pathPrefix || url.pathname.startsWith(`${a.pathPrefix}/`)),
  );
  if (!match) throw refuse("is not an allowed redirect URL (see ALLOWED_REDIRECT_URLS)");
  return url;
}

function parseHttpUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  if (url.username !== "" || url.password !== "" || url.hostname === "") return undefined;
  return url;
}
