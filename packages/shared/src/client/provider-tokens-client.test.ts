import { FunctionsClient } from "@supabase/functions-js";
import { describe, expect, it } from "vitest";
import { createProviderTokensClient, withoutResultParams, type BrowserLocation } from "./provider-tokens-client.ts";
import { ProviderTokensError } from "./provider-tokens-error.ts";

interface Call { url: string; method: string; body: unknown; authorization: string | null }

/** A supabase-js functions client over a scripted fetch, and a fake address bar. */
function setup(href: string, answer: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const customFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const text = await request.text();
    const call = { url: request.url, method: request.method, body: text ? JSON.parse(text) : undefined, authorization: request.headers.get("authorization") };
    calls.push(call);
    return answer(call);
  };
  const functions = new FunctionsClient("http://api.test/functions/v1", { headers: { Authorization: "Bearer user-jwt" }, customFetch });
  const browser = {
    assigned: [] as string[],
    replaced: [] as string[],
    location: { href, assign(url: string) { browser.assigned.push(url); } },
    history: { state: { page: 1 }, replaceState(_d: unknown, _u: string, url?: string | URL | null) { browser.replaced.push(String(url)); browser.location.href = String(url); } },
  };
  return { client: createProviderTokensClient({ functions }, browser as BrowserLocation), calls, browser };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

async function failure(p: Promise<unknown>): Promise<ProviderTokensError> {
  const error = await p.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ProviderTokensError);
  return error as ProviderTokensError;
}

describe("startConnection", () => {
  it("calls oauth-start with this page (without old results) as redirect_to and navigates to the provider", async () => {
    const { client, calls, browser } = setup("https://app.example.com/settings?tab=2&error=old#x", () =>
      json(200, { authorize_url: "https://accounts.spotify.com/authorize?state=s", expires_at: "2026-12-02T10:00:00Z" }));
    await client.startConnection("spotify", { scopes: ["user-read-email"] });
    expect(calls).toEqual([{
      url: "http://api.test/functions/v1/oauth-start", method: "POST", authorization: "Bearer user-jwt",
      body: { provider: "spotify", redirect_to: "https://app.example.com/settings?tab=2#x", scopes: ["user-read-email"] },
    }]);
    expect(browser.assigned).toEqual(["https://accounts.spotify.com/authorize?state=s"]);
  });

  it("does not navigate when oauth-start refuses or answers nonsense", async () => {
    const refused = setup("https://app.example.com/", () => json(400, { error: { code: "unknown_provider", message: 'unknown provider "x"' } }));
    const error = await failure(refused.client.startConnection("x"));
    expect(error).toMatchObject({ code: "unknown_provider", status: 400, message: 'unknown provider "x"' });
    expect(refused.browser.assigned).toEqual([]);
    const odd = setup("https://app.example.com/", () => json(200, { authorize_url: "javascript:alert(1)" }));
    expect((await failure(odd.client.startConnection("spotify"))).code).toBe("invalid_response");
    expect(odd.browser.assigned).toEqual([]);
  });
});

describe("completeConnection", () => {
  it("cleans the address bar first, then claims the connection", async () => {
    const { client, calls, browser } = setup(`https://app.example.com/back?tab=2&connect=${"c".repeat(43)}&provider=xero#top`, () =>
      json(200, { provider: "xero", account: "tenant-1", status: "connected" }));
    expect(await client.completeConnection()).toEqual({ provider: "xero", account: "tenant-1", status: "connected" });
    expect(browser.replaced).toEqual(["https://app.example.com/back?tab=2#top"]);
    expect(calls.map((c) => [c.url, c.body])).toEqual([["http://api.test/functions/v1/oauth-complete", { connect: "c".repeat(43) }]]);
  });

  it("resolves to null on a page without a result, calling nothing", async () => {
    const { client, calls, browser } = setup("https://app.example.com/back?tab=2", () => json(500, {}));
    expect(await client.completeConnection()).toBeNull();
    expect(calls).toEqual([]);
    expect(browser.replaced).toEqual([]);
  });

  it("throws the callback's error code without calling the server", async () => {
    const { client, calls, browser } = setup("https://app.example.com/back?error=access_denied&provider=github", () => json(500, {}));
    const error = await failure(client.completeConnection());
    expect(error).toMatchObject({ code: "access_denied", provider: "github", remedy: "start_again" });
    expect(calls).toEqual([]);
    expect(browser.replaced).toEqual(["https://app.example.com/back"]);
    const unknown = setup("https://app.example.com/back?error=%3Cscript%3E", () => json(500, {}));
    expect((await failure(unknown.client.completeConnection())).code).toBe("invalid_response");
  });

  it("reports another user's link as forbidden, still cleaning the address bar", async () => {
    const { client, browser } = setup(`https://app.example.com/back?connect=${"d".repeat(43)}&provider=discord`, () =>
      json(403, { error: { code: "forbidden", message: "this connection was started by another user" } }));
    const error = await failure(client.completeConnection());
    expect(error).toMatchObject({ code: "forbidden", status: 403, provider: "discord", remedy: "start_again" });
    expect(browser.replaced).toEqual(["https://app.example.com/back"]);
  });
});

describe("tokens, connections, disconnect", () => {
  it("gets a token, naming the account only when given", async () => {
    const token = { access_token: "at", token_type: "Bearer", expires_at: null, scopes: [], provider: "shopify", account: "s.myshopify.com" };
    const { client, calls } = setup("https://app.example.com/", () => json(200, token));
    expect(await client.getToken("shopify", "s.myshopify.com")).toEqual(token);
    await client.getToken("spotify");
    expect(calls.map((c) => c.body)).toEqual([{ provider: "shopify", account: "s.myshopify.com" }, { provider: "spotify" }]);
  });

  it("types the errors a UI branches on", async () => {
    const answers = [
      json(409, { error: { code: "needs_reauth", message: "reconnect", reconnect: true } }),
      json(503, { error: { code: "provider_unavailable", message: "later" } }, { "retry-after": "30" }),
      json(404, { error: { code: "not_connected", message: "no spotify connection" } }),
      json(401, { msg: "Invalid JWT" }),
      new Response("<html>Bad gateway</html>", { status: 502 }),
    ];
    const { client } = setup("https://app.example.com/", () => answers.shift()!);
    expect(await failure(client.getToken("spotify"))).toMatchObject({ code: "needs_reauth", reconnect: true, remedy: "reconnect", status: 409 });
    expect(await failure(client.getToken("spotify"))).toMatchObject({ code: "provider_unavailable", retryAfter: 30, remedy: "retry" });
    expect(await failure(client.getToken("spotify"))).toMatchObject({ code: "not_connected", remedy: "connect" });
    expect(await failure(client.getToken("spotify"))).toMatchObject({ code: "unauthorized", status: 401, remedy: "sign_in" });
    expect(await failure(client.getToken("spotify"))).toMatchObject({ code: "invalid_response", status: 502 });
  });

  it("a network failure is network_error", async () => {
    const { client } = setup("https://app.example.com/", () => { throw new TypeError("Failed to fetch"); });
    expect(await failure(client.listConnections())).toMatchObject({ code: "network_error", remedy: "retry" });
  });

  it("lists connections with GET and disconnects with POST", async () => {
    const answers = [json(200, { connections: [{ provider: "xero", account: "t", status: "connected" }] }), json(200, { disconnected: true })];
    const { client, calls } = setup("https://app.example.com/", () => answers.shift()!);
    expect(await client.listConnections()).toEqual([{ provider: "xero", account: "t", status: "connected" }]);
    await client.disconnect("xero", "t");
    expect(calls.map((c) => [c.method, c.url.split("/").at(-1), c.body])).toEqual([["GET", "connections", undefined], ["POST", "disconnect", { provider: "xero", account: "t" }]]);
  });
});

describe("withoutResultParams", () => {
  it("removes connect, provider and error only", () => {
    expect(withoutResultParams("http://a/b?x=1&connect=c&provider=p&error=e&y=2#f")).toBe("http://a/b?x=1&y=2#f");
  });
});
