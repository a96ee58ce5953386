import { describe, expect, it } from "vitest";
import type { ApiError } from "../http/api-error.ts";
import {
  adminRoute, parseActivityQuery, parseConnectionsQuery, parseRefreshBody, parseRefreshManyBody, parseRunsQuery,
} from "./admin-request.ts";

function fails(f: () => unknown): ApiError {
  try {
    f();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("expected an error");
}
const q = (s: string) => new URLSearchParams(s);

describe("adminRoute", () => {
  it("gives the segments after the function's name, as the gateway or the edge runtime pass the path", () => {
    expect(adminRoute("/functions/v1/token-admin/connections")).toEqual(["connections"]);
    expect(adminRoute("/token-admin/webhooks/abc/test")).toEqual(["webhooks", "abc", "test"]);
    expect(adminRoute("/token-admin")).toEqual([]);
  });
  it("answers not_found for paths outside it, deep or oversized paths and broken escapes", () => {
    for (const p of ["/other/x", "/token-admin/" + "a/".repeat(9), "/token-admin/" + "x".repeat(129), "/token-admin/%E0%A4%A"]) {
      expect(fails(() => adminRoute(p)).code).toBe("not_found");
    }
  });
});

describe("parseConnectionsQuery", () => {
  it("reads filters with defaults", () => {
    expect(parseConnectionsQuery(q(""))).toEqual({ limit: 100 });
    expect(parseConnectionsQuery(q("provider=xero&status=failing&limit=500&after=6F1E2D3C-0000-4000-8000-000000000001")))
      .toEqual({ provider: "xero", status: "failing", limit: 500, after: "6f1e2d3c-0000-4000-8000-000000000001" });
  });
  it("names the field at fault", () => {
    const cases: [string, RegExp][] = [
      ["limit=0", /"limit"/], ["limit=501", /"limit"/], ["limit=-1", /"limit"/], ["limit=1e2", /"limit"/], ["limit=9999999", /"limit"/],
      ["provider=nope", /"provider"/], ["provider=xero';--", /"provider"/], ["status=fine", /"status"/],
      ["after=1", /"after"/], ["after=' or 1=1--", /"after"/], ["token=x", /"token"/], ["limit=1&limit=2", /"limit"/],
    ];
    for (const [s, m] of cases) {
      const err = fails(() => parseConnectionsQuery(q(s)));
      expect(err.code).toBe("invalid_request");
      expect(err.message).toMatch(m);
    }
  });
});

describe("bodies", () => {
  it("refresh takes one UUID connection_id", () => {
    expect(parseRefreshBody({ connection_id: "6F1E2D3C-0000-4000-8000-000000000001" })).toEqual({ connectionId: "6f1e2d3c-0000-4000-8000-000000000001" });
    for (const body of [{}, { connection_id: 1 }, { connection_id: "x" }, { connection_id: "a".repeat(100) }, { connection_id: "6f1e2d3c-0000-4000-8000-000000000001", user_id: "x" }]) {
      expect(fails(() => parseRefreshBody(body as Record<string, unknown>)).code).toBe("invalid_request");
    }
  });
  it("refresh-many needs a provider or a status, never disconnected", () => {
    expect(parseRefreshManyBody({ provider: "xero" })).toEqual({ provider: "xero" });
    expect(parseRefreshManyBody({ provider: "xero", status: "failing" })).toEqual({ provider: "xero", status: "failing" });
    expect(fails(() => parseRefreshManyBody({})).message).toMatch(/"provider" or "status"/);
    expect(fails(() => parseRefreshManyBody({ status: "disconnected" })).message).toMatch(/"status"/);
    expect(fails(() => parseRefreshManyBody({ provider: ["xero"] })).message).toMatch(/"provider"/);
    expect(fails(() => parseRefreshManyBody({ provider: "xero", all: true })).message).toMatch(/"all"/);
    expect(parseRefreshManyBody({ status: "failing", limit: 200 })).toEqual({ status: "failing", limit: 200 });
    for (const limit of [0, 10_001, 1.5, "10", null, -1]) {
      expect(fails(() => parseRefreshManyBody({ status: "failing", limit })).message).toMatch(/"limit"/);
    }
  });
  it("runs and activity bound their numbers", () => {
    expect(parseRunsQuery(q(""))).toEqual({ limit: 20 });
    expect(parseActivityQuery(q("hours=48"))).toEqual({ hours: 48 });
    expect(fails(() => parseRunsQuery(q("limit=201"))).code).toBe("invalid_request");
    expect(fails(() => parseActivityQuery(q("hours=169"))).code).toBe("invalid_request");
    expect(fails(() => parseActivityQuery(q("days=1"))).code).toBe("invalid_request");
  });
});
