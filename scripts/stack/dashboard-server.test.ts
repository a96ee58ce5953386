import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard, startDashboardServer } from "./dashboard-server.ts";

const PORT = 54397;
const BASE = `http://127.0.0.1:${PORT}`;
let server: http.Server;
const served = mkdtempSync(join(tmpdir(), "dashboard-served-"));

beforeAll(async () => {
  server = await startDashboardServer({ apiUrl: "http://127.0.0.1:54321", anonKey: "anon" }, { port: PORT, dir: served });
}, 60_000);
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(served, { recursive: true, force: true });
});

describe("the dashboard's static server", () => {
  it("serves the page, its bundle and the stack's config.json", async () => {
    const page = await fetch(`${BASE}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('src="./app.js"');
    expect((await fetch(`${BASE}/app.js`)).headers.get("content-type")).toContain("javascript");
    expect(await (await fetch(`${BASE}/config.json`)).json()).toEqual({ apiUrl: "http://127.0.0.1:54321", anonKey: "anon" });
  });

  it("serves nothing else: traversal, other files and methods are refused", async () => {
    for (const p of ["/..%2Fpackage.json", "/../package.json", "/%2e%2e/%2e%2e/etc/passwd", "/src/app.js", "/app.ts", "/.env", `/${"a".repeat(100)}.js`]) {
      expect((await fetch(`${BASE}${p}`)).status, p).toBe(404);
    }
    expect((await fetch(`${BASE}/`, { method: "POST", body: "x" })).status).toBe(405);
  });

  it("builds deployable files without a config.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dashboard-"));
    try {
      await buildDashboard(dir);
      expect(readFileSync(join(dir, "index.html"), "utf8")).toContain("provider-tokens dashboard");
      expect(readFileSync(join(dir, "app.css"), "utf8")).toContain(".uplot");
      expect(() => readFileSync(join(dir, "config.json"))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
