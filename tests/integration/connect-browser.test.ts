/**
 * The connect flow in a real browser: Debian's chromium, driven by puppeteer-core, on an app page served from
 * its own loopback origin (http://127.0.0.1:3999, the stack's API is :54321) that uses the browser client.
 * Real redirects (app → emulator consent → oauth-callback → app), oauth-complete, get-token, connections and
 * disconnect across origins, error bodies readable across origins, a forwarded link completed in another
 * user's browser, and no console errors beyond the deliberate 4xx answers. Screenshots go to
 * .stack/browser-test/ (git-ignored).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { build } from "esbuild";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../browser/app-page-types.ts";
import { STACK_DIR } from "../../scripts/stack/paths.ts";
import { API_URL, db, keys, userToken } from "../helpers/stack.ts";
import { connectionsOf, emulatorControl, oauthComplete, oauthStart, uniqueEmail } from "./connect-support.ts";

const CHROMIUM = "/usr/bin/chromium";
const APP_PORT = 3999; // TEST_APP_URL's origin, in ALLOWED_REDIRECT_URLS
const APP = `http://127.0.0.1:${APP_PORT}`;
const OUT = join(STACK_DIR, "browser-test");
const DELIBERATE_STATUS = /^Failed to load resource: the server responded with a status of (400|401|403|404) /;

const sql = db();
let server: http.Server;
let browser: Browser;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
const profileDir = join(OUT, `profile-${process.pid}-${Date.now()}`);

interface Watched {
  page: Page;
  consoleErrors: string[];
  pageErrors: string[];
}

async function openAs(jwt: string): Promise<Watched> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const watched: Watched = { page, consoleErrors: [], pageErrors: [] };
  page.on("console", (m) => {
    if (m.type() === "error") watched.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => watched.pageErrors.push(String(e)));
  // The app's "session": the page reads its JWT from sessionStorage (set before any script of the page runs).
  await page.evaluateOnNewDocument((token: string) => {
    if (location.port === "3999") sessionStorage.setItem("jwt", token);
  }, jwt);
  return watched;
}

const completion = (page: Page) => page.evaluate(() => window.completion) as Promise<any>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test installs it as root)`);
  mkdirSync(OUT, { recursive: true });
  await build({
    entryPoints: [join(import.meta.dirname, "../browser/app-page.ts")],
    bundle: true, format: "esm", platform: "browser", target: "es2022", outfile: join(OUT, "app.js"), logLevel: "silent",
  });
  const { anonKey } = await keys();
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>provider-tokens browser test</title>
<script>window.__config = ${JSON.stringify({ apiUrl: API_URL, anonKey })};</script>
<script type="module" src="/app/app.js"></script></head><body><h1>Connections</h1><pre id="status">…</pre></body></html>`;
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", APP).pathname;
    if (path === "/app/app.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      return res.end(readFileSync(join(OUT, "app.js")));
    }
    if (path === "/favicon.ico") return res.writeHead(204).end();
    if (path === "/app" || path.startsWith("/app/")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end(html);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(APP_PORT, "127.0.0.1", () => resolve());
  });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profileDir,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
  alice = await userToken(uniqueEmail("browser-a"));
  bob = await userToken(uniqueEmail("browser-b"));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(profileDir, { recursive: true, force: true });
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await sql.end();
});

describe("the browser client in chromium, on another origin", () => {
  it("connects through real redirects, reads a token, lists, disconnects, and reads every error body", async () => {
    const { page, consoleErrors, pageErrors } = await openAs(alice.token);
    await page.goto(`${APP}/app/connected?tab=1`, { waitUntil: "load" });
    expect(await completion(page)).toEqual({ ok: true, value: null });

    // startConnection: oauth-start (a cross-origin POST with a preflight), then the browser leaves for the
    // emulator's consent, which redirects to oauth-callback, which redirects back here with ?connect.
    const back = page.waitForNavigation({ waitUntil: "load", timeout: 30_000 });
    void page.evaluate(() => window.app.start("discord", { redirectTo: `${location.origin}/app/connected?tab=1` })).catch(() => {});
    await back;
    const done = await completion(page);
    expect(done).toEqual({ ok: true, value: { provider: "discord", account: "discord-account-1", status: "connected" } });
    // The connect id is gone from the address bar; the app's own query stays.
    expect(page.url()).toBe(`${APP}/app/connected?tab=1`);
    await page.screenshot({ path: join(OUT, "connected.png") });

    const token = await page.evaluate(() => window.app.getToken("discord")) as any;
    expect(token.ok).toBe(true);
    expect(token.value).toMatchObject({ provider: "discord", account: "discord-account-1", token_type: "Bearer" });
    const known = await emulatorControl(`/token?token=${encodeURIComponent(token.value.access_token)}`);
    expect(known.access).toEqual({ valid: true, account: "discord-account-1" });

    const listed = await page.evaluate(() => window.app.list()) as any;
    expect(listed.value.map((c: any) => [c.provider, c.account, c.status])).toEqual([["discord", "discord-account-1", "connected"]]);
    expect(JSON.stringify(listed)).not.toContain(token.value.access_token);

    expect(await page.evaluate(() => window.app.disconnect("discord"))).toEqual({ ok: true });
    expect((await emulatorControl(`/token?token=${encodeURIComponent(token.value.access_token)}`)).access.valid).toBe(false);

    // Errors, read across origins with their bodies: 404, 400, 401 (from the function), 400 for a used link.
    expect(await page.evaluate(() => window.app.getToken("discord"))).toMatchObject({ ok: false, code: "not_connected", status: 404, remedy: "connect" });
    expect(await page.evaluate(() => window.app.getToken("friendster"))).toMatchObject({ ok: false, code: "unknown_provider", status: 400 });
    const forged = await page.evaluate(() => window.app.raw("get-token", { body: '{"provider":"discord"}', token: "eyJhbGciOiJIUzI1NiJ9.e30.forged" })) as any;
    expect(forged).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
    const unknownLink = await page.evaluate(() => window.app.raw("oauth-complete", { body: JSON.stringify({ connect: "a".repeat(43) }), token: sessionStorage.getItem("jwt")! })) as any;
    expect(unknownLink).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    const badJson = await page.evaluate(() => window.app.raw("disconnect", { body: "{", token: sessionStorage.getItem("jwt")! })) as any;
    expect(badJson).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    await page.screenshot({ path: join(OUT, "after-errors.png") });

    expect(pageErrors).toEqual([]);
    // Chromium logs each deliberate 4xx as "Failed to load resource"; anything else (a CORS refusal, an
    // exception) is a failure.
    expect(consoleErrors.filter((m) => !DELIBERATE_STATUS.test(m))).toEqual([]);
    expect(consoleErrors.length).toBeLessThanOrEqual(5);
    await page.browserContext().close();
  });

  it("a forwarded link completed in another user's browser is refused (403), discarded and revoked", async () => {
    const victim = `browser-victim-${Date.now().toString(36)}`;
    // Alice starts and forwards the authorization URL; Bob opens it in his browser, signed in to the app.
    // Google, whose revocation call ends the whole grant (Spotify, for one, has none).
    const started = await oauthStart(alice.token, { provider: "google", redirect_to: `${APP}/app/connected` });
    const forwarded = new URL(started.authorize_url);
    forwarded.searchParams.set("emulator_account", victim);

    const { page, consoleErrors, pageErrors } = await openAs(bob.token);
    let connectId: string | null = null;
    page.on("response", (r) => {
      const location = r.headers()["location"];
      if (r.url().startsWith(`${API_URL}/functions/v1/oauth-callback`) && location) connectId = new URL(location).searchParams.get("connect");
    });
    await page.goto(forwarded.href, { waitUntil: "load" });
    expect(new URL(page.url()).origin).toBe(APP);
    const refused = await completion(page);
    expect(refused).toMatchObject({ ok: false, code: "forbidden", status: 403, provider: "google", remedy: "start_again" });
    expect(page.url()).toBe(`${APP}/app/connected`);
    await page.screenshot({ path: join(OUT, "forwarded-link-refused.png") });

    expect(connectId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await oauthComplete(alice.token, connectId)).status).toBe(400);
    expect(await connectionsOf(sql, alice.id, "google")).toEqual([]);
    expect(await connectionsOf(sql, bob.id, "google")).toEqual([]);
    const issued = await emulatorControl<{ refresh_tokens: string[] }>("/issued?provider=google");
    const states = [];
    for (const t of issued.refresh_tokens) {
      const info = (await emulatorControl(`/token?token=${encodeURIComponent(t)}`)).refresh;
      if (info?.account === victim) states.push(info.state);
    }
    expect(states).toEqual(["revoked"]);

    expect(pageErrors).toEqual([]);
    expect(consoleErrors.filter((m) => !DELIBERATE_STATUS.test(m))).toEqual([]);
    await page.browserContext().close();
  });

  it("every function answers the browser's preflight with the headers supabase-js sends, and exposes Retry-After", async () => {
    for (const name of ["oauth-start", "oauth-complete", "get-token", "connections", "disconnect", "oauth-callback"]) {
      const res = await fetch(`${API_URL}/functions/v1/${name}`, {
        method: "OPTIONS",
        headers: {
          origin: APP, "access-control-request-method": name === "connections" ? "GET" : "POST",
          "access-control-request-headers": "authorization,apikey,content-type,x-client-info",
        },
      });
      expect({ name, ok: res.status >= 200 && res.status < 300 }).toEqual({ name, ok: true });
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      const allowed = (res.headers.get("access-control-allow-headers") ?? "").split(/,\s*/);
      for (const h of ["authorization", "apikey", "content-type", "x-client-info"]) expect(allowed).toContain(h);
      expect(res.headers.get("access-control-expose-headers")).toContain("retry-after");
    }
  });

  it("a denied consent comes back as a typed error and the address bar is cleaned", async () => {
    const started = await oauthStart(alice.token, { provider: "github", redirect_to: `${APP}/app/connected#section` });
    const denied = new URL(started.authorize_url);
    denied.searchParams.set("emulator_deny", "1");
    const { page, consoleErrors, pageErrors } = await openAs(alice.token);
    await page.goto(denied.href, { waitUntil: "load" });
    expect(await completion(page)).toMatchObject({ ok: false, code: "access_denied", remedy: "start_again" });
    expect(page.url()).toBe(`${APP}/app/connected#section`);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.browserContext().close();
  });
});
