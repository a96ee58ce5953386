import { describe, expect, it } from "vitest";
import { ApiError } from "../http/api-error.ts";
import { checkRedirectTo, parseAllowedRedirects } from "./redirect-allow-list.ts";

const { allowed } = parseAllowedRedirects("https://app.example.com/oauth/, http://localhost:3000");

function refusal(value: string): ApiError {
  try {
    checkRedirectTo(value, allowed);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error(`accepted ${value}`);
}

describe("parseAllowedRedirects", () => {
  it("keeps origin and path prefix, skips what is not a plain http(s) URL", () => {
    const parsed = parseAllowedRedirects("https://A.example.com:443/x/,ftp://x,https://u:p@x.example,https://x.example/?q=1,https://y.example/#f,,nonsense");
    expect(parsed.allowed).toEqual([{ origin: "https://a.example.com", pathPrefix: "/x" }]);
    expect(parsed.invalid).toBe(5);
    expect(parseAllowedRedirects(undefined)).toEqual({ allowed: [], invalid: 0 });
  });
});

describe("checkRedirectTo", () => {
  it("accepts the listed origin and paths under the listed prefix, keeping the query", () => {
    expect(checkRedirectTo("https://app.example.com/oauth", allowed).href).toBe("https://app.example.com/oauth");
    expect(checkRedirectTo("https://APP.example.com:443/oauth/done?tab=2#top", allowed).href).toBe("https://app.example.com/oauth/done?tab=2#top");
    expect(checkRedirectTo("http://localhost:3000/anything/at/all", allowed).pathname).toBe("/anything/at/all");
  });

  it.each([
    ["another host", "https://evil.example/oauth"],
    ["a look-alike host", "https://app.example.com.evil.example/oauth"],
    ["another scheme on the same host", "http://app.example.com/oauth"],
    ["another port", "http://localhost:3001/"],
    ["a path outside the prefix", "https://app.example.com/other"],
    ["a prefix that is not a segment", "https://app.example.com/oauthx"],
    ["dot segments climbing out of the prefix", "https://app.example.com/oauth/../admin"],
    ["encoded dot segments", "https://app.example.com/oauth/%2e%2e/admin"],
    ["an encoded slash after dots", "https://app.example.com/oauth/..%2fadmin"],
    ["an upper-case encoded slash", "https://app.example.com/oauth/..%2Fadmin"],
    ["an encoded backslash", "https://app.example.com/oauth/..%5cadmin"],
    ["a half-encoded dot segment", "https://app.example.com/oauth/.%2e/admin"],
    ["a dot segment that stays inside the prefix", "https://app.example.com/oauth/a/../b"],
    ["a single-dot segment", "https://app.example.com/oauth/./b"],
    ["a trailing dot-dot", "http://localhost:3000/a/.."],
    ["javascript:", "javascript:alert(1)//https://app.example.com/oauth"],
    ["data:", "data:text/html,<script>alert(1)</script>"],
    ["protocol-relative", "//evil.example/oauth"],
    ["a relative path", "/oauth"],
    ["user info", "https://app.example.com@evil.example/oauth"],
    ["user info on the allowed host", "https://user:pw@app.example.com/oauth"],
    ["a backslash", "https://app.example.com\\@evil.example/oauth"],
    ["a tab inside the scheme", "java\tscript:alert(1)"],
    ["a newline", "https://app.example.com/oauth\n"],
    ["leading whitespace", " https://app.example.com/oauth"],
    ["non-ASCII", "https://app.example.com/oauth/é"],
    ["single slash", "https:/evil.example/oauth"],
    ["triple slash", "https:///evil.example/oauth"],
    ["empty", ""],
    ["too long", `https://app.example.com/oauth/${"a".repeat(2100)}`],
  ])("refuses %s", (_label, value) => {
    const error = refusal(value);
    expect(error.code).toBe("invalid_request");
    expect(error.message).toMatch(/^"redirect_to" /);
  });

  it("still accepts dots and encoded characters that are not path tricks", () => {
    expect(checkRedirectTo("https://app.example.com/oauth/v1.2/done?next=..%2Fx#../y", allowed).pathname).toBe("/oauth/v1.2/done");
    expect(checkRedirectTo("https://app.example.com/oauth/a%20b/...", allowed).pathname).toBe("/oauth/a%20b/...");
  });

  it("refuses everything when nothing is configured", () => {
    expect(() => checkRedirectTo("http://localhost:3000/", [])).toThrow(/ALLOWED_REDIRECT_URLS/);
  });
});
