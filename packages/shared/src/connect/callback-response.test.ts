import { describe, expect, it } from "vitest";
import { invalidCallbackResponse, redirectResponse } from "./callback-response.ts";

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
    const html = invalidCallbackResponse(new Request("http://x/", { headers: { accept: "text/html" } }), '"state" <b>');
    expect(html.status).toBe(400);
    expect(html.headers.get("location")).toBeNull();
    expect(await html.text()).toContain("&#34;state&#34; &#60;b&#62;");
    const api = invalidCallbackResponse(new Request("http://x/"), '"state" is unknown');
    expect(await api.json()).toEqual({ error: { code: "invalid_request", message: '"state" is unknown' } });
  });
});
