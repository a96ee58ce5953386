import { describe, expect, it } from "vitest";
import { invalidCallbackResponse, parseErrorPageUrl, redirectResponse } from "./callback-response.ts";

describe("callback responses", () => {
  it("redirects with the result added to the existing query, fragment kept", () => {
    const res = redirectResponse("http://localhost:3000/done?tab=a%20b&connected=old&error=stale&provider=x#top", {
      connect: "id",
      provider: "spotify",
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("tab")).toBe("a b");
    expect([...location.searchParams.keys()]).toEqual(["tab", "connect", "provider"]);
    expect(location.searchParams.getAll("provider")).toEqual(["spotify"]);
    expect(location.hash).toBe("#top");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("answers an untrusted callback with a 400 and no Location", async () => {
    const browser = new Request("http://x/", { headers: { accept: "text/html,application/xhtml+xml" } });
    const page = invalidCallbackResponse(browser, '"state" is unknown\u2028<b>');
    expect(page.status).toBe(400);
    expect(page.headers.get("location")).toBeNull();
    // Plain text: hosted Supabase serves a GET's text/html as text/plain without a custom domain anyway.
    expect(page.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await page.text();
    expect(text).toContain('Reason: "state" is unknown?<b>.');
    expect(text).not.toMatch(/<html|<h1|&#/);
    const api = invalidCallbackResponse(new Request("http://x/"), '"state" is unknown');
    expect(await api.json()).toEqual({ error: { code: "invalid_request", message: '"state" is unknown' } });
  });

  it("sends a browser to OAUTH_ERROR_URL when one is configured, never anywhere the request names", () => {
    const { url } = parseErrorPageUrl(" https://app.example.com/connect-failed?from=callback ");
    const browser = new Request("http://x/?redirect_to=https://evil.example", { headers: { accept: "text/html" } });
    const res = invalidCallbackResponse(browser, '"state" is unknown', url);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://app.example.com/connect-failed?from=callback&error=callback_invalid");
    expect(invalidCallbackResponse(new Request("http://x/"), "m", url).status).toBe(400);
  });

  it("reads OAUTH_ERROR_URL strictly", () => {
    expect(parseErrorPageUrl(undefined)).toEqual({ url: undefined, invalid: false });
    for (const bad of ["javascript:alert(1)", "/relative", "https://u:p@app.example.com/", "https://app.example.com/#x", "not a url"]) {
      expect(parseErrorPageUrl(bad)).toEqual({ url: undefined, invalid: true });
    }
  });
});
