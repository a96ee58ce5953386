import { describe, expect, it } from "vitest";
import { ApiError } from "./api-error.ts";
import type { Authenticate } from "./authenticate.ts";
import { batchedSink } from "../log/batched-sink.ts";
import { createLogger } from "../log/logger.ts";
import { EngineError } from "../engine/engine-error.ts";
import { json, route, withHandler } from "./with-handler.ts";

const lines: string[] = [];
const logger = createLogger("test", (l) => lines.push(l));
const allowAll = (async () => ({ kind: "service" })) as Authenticate;
const denyAll = (async () => {
  throw new ApiError("unauthorized", "the Authorization header is missing");
}) as Authenticate;

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request("http://x/fn", { method: "POST", body, headers });

describe("withHandler", () => {
  const echo = withHandler({ authenticate: allowAll, logger }, {
    POST: route({ auth: "service", handle: async (_r, ctx) => json({ got: ctx.body }) }),
  });

  it("answers preflight with CORS and no auth", async () => {
    const h = withHandler({ authenticate: denyAll, logger }, { POST: route({ auth: "user", handle: async () => json({}) }) });
    const res = await h(new Request("http://x/fn", { method: "OPTIONS" }));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("apikey");
    expect(res.headers.get("access-control-max-age")).toBe("86400");
  });

  it("gives an actual response the response CORS headers only, and the handler's own headers", async () => {
    const h = withHandler({ authenticate: allowAll, logger }, {
      POST: route({ auth: "service", handle: async () => json({}, 503, { "retry-after": "5" }) }),
    });
    const res = await h(post("{}"));
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toBe("retry-after");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("cache-control")).toBe("no-store");
    // Read on a preflight only.
    expect(res.headers.get("access-control-allow-methods")).toBeNull();
    expect(res.headers.get("access-control-max-age")).toBeNull();
  });

  it("adds CORS to a response a handler built itself", async () => {
    const h = withHandler({ authenticate: allowAll, logger }, {
      POST: route({ auth: "service", handle: async () => new Response("ok", { status: 200 }) }),
    });
    const res = await h(post("{}"));
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toBe("retry-after");
    expect(await res.text()).toBe("ok");
  });

  it("puts CORS on errors too, in the contract's shape", async () => {
    const h = withHandler({ authenticate: denyAll, logger }, { POST: route({ auth: "user", handle: async () => json({}) }) });
    const res = await h(post("{}"));
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual({ error: { code: "unauthorized", message: "the Authorization header is missing" } });
  });

  it("writes what a request logged by the time its answer leaves, errors included", async () => {
    const written: string[] = [];
    const sink = batchedSink((t) => written.push(t), { intervalMs: 60_000 });
    const h = withHandler({ authenticate: allowAll, logger: createLogger("test", sink), flushLogs: sink.flush }, {
      POST: route({
        auth: "service",
        handle: async (_r, { body }) => {
          if (body.fail) throw new Error("boom");
          return json({});
        },
      }),
    });
    await h(post("{}"));
    expect(written).toEqual([]);
    const res = await h(post('{"fail":true}'));
    expect(res.status).toBe(500);
    expect(written.join("\n")).toContain('"event":"unhandled_error"');
  });

  it("refuses other methods with 405 and an Allow header", async () => {
    const res = await echo(new Request("http://x/fn", { method: "PUT", body: "{}" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("parses a JSON object body and reads an empty body as {}", async () => {
    expect(await (await echo(post('{"a":1}'))).json()).toEqual({ got: { a: 1 } });
    expect(await (await echo(post(null))).json()).toEqual({ got: {} });
  });

  it("answers malformed, non-object and non-UTF-8 bodies with 400", async () => {
    for (const body of ["{", "[1,2]", '"s"', "null", new Uint8Array([0x7b, 0xff, 0x7d])]) {
      const res = await echo(post(body));
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_request");
    }
  });

  it("answers an oversized body with 413, whether or not Content-Length tells", async () => {
    const big = JSON.stringify({ a: "x".repeat(20_000) });
    expect((await echo(post(big))).status).toBe(413);
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
    const res = await echo(new Request("http://x/fn", { method: "POST", body: stream, duplex: "half" } as RequestInit));
    expect(res.status).toBe(413);
  });

  it("turns an unexpected error into a fixed 500 and logs no message", async () => {
    const h = withHandler({ authenticate: allowAll, logger }, {
      POST: route({
        auth: "service",
        handle: async () => {
          throw new Error("connection to postgres://user:hunter2@db failed");
        },
      }),
    });
    const res = await h(post("{}"));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text).error.code).toBe("internal");
    expect(lines.join("\n")).not.toContain("hunter2");
  });

  it("authenticates each method with its own mode, before reading the body", async () => {
    const modes: string[] = [];
    const authenticate = (async (_req: Request, mode: string) => {
      modes.push(mode);
      if (mode === "service") throw new ApiError("unauthorized", "the service role key is required");
      return null;
    }) as Authenticate;
    const h = withHandler({ authenticate, logger }, {
      GET: route({ auth: "none", handle: async (_r, { principal }) => json({ principal }) }),
      POST: route({ auth: "service", maxBodyBytes: 8, handle: async () => json({}) }),
    });
    expect(await (await h(new Request("http://x/fn"))).json()).toEqual({ principal: null });
    const res = await h(post(JSON.stringify({ a: "x".repeat(100) })));
    expect(res.status).toBe(401);
    expect(modes).toEqual(["none", "service"]);
    const put = await h(new Request("http://x/fn", { method: "PUT" }));
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST, OPTIONS");
    expect((await put.json()).error.message).toBe("method must be GET or POST");
  });

  it("maps the engine's outcomes to their contract codes and headers", async () => {
    const throwing = (err: Error) => withHandler({ authenticate: allowAll, logger }, {
      POST: route({ auth: "service", handle: async () => { throw err; } }),
    });
    const busy = await throwing(new EngineError("provider_unavailable", "the provider did not answer", 1_200))(post("{}"));
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("2");
    expect(await busy.json()).toEqual({ error: { code: "provider_unavailable", message: "the provider did not answer", retry_after: 2 } });
    const reauth = await throwing(new EngineError("needs_reauth", "the user must reconnect this account"))(post("{}"));
    expect(reauth.status).toBe(409);
    expect(await reauth.json()).toEqual({ error: { code: "needs_reauth", message: "the user must reconnect this account", reconnect: true } });
    for (const [code, status] of [["unknown_provider", 400], ["provider_not_configured", 400], ["invalid_request", 400], ["not_connected", 404]] as const) {
      const res = await throwing(new EngineError(code, "m"))(post("{}"));
      expect([res.status, (await res.json()).error]).toEqual([status, { code, message: "m" }]);
    }
  });
});
