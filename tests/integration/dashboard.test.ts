/**
 * The dashboard in a real Chromium (Debian's chromium through puppeteer-core), served by the stack on
 * http://127.0.0.1:54323 and calling the stack's API across origins: signed in through the URL fragment (which
 * leaves the address bar at once), it shows a needs_reauth connection with its last error and the scheduled
 * runs; its refresh button refreshes a connection through token-admin; a plain user's JWT sees only a
 * refusal. Screenshots go to .stack/dashboard-test/ (git-ignored).
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_URL } from "../../scripts/stack/dashboard-server.ts";
import { loadKeys, signUserToken } from "../../scripts/stack/keys.ts";
import { STACK_DIR } from "../../scripts/stack/paths.ts";
import { ensureUser } from "../../scripts/stack/users.ts";
import { seedConnection, setScheduleActive, type Seeded } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";

const CHROMIUM = "/usr/bin/chromium";
const OUT = join(STACK_DIR, "dashboard-test");
const DELIBERATE_STATUS = /^Failed to load resource: the server responded with a status of (403|404) /;
const sql = db();
let browser: Browser;
let admin: string;
let plain: { id: string; token: string };
let dead: Seeded;
let flaky: Seeded;
const profileDir = join(OUT, `profile-${process.pid}-${Date.now()}`);

async function open(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1360, height: 1000 });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !DELIBERATE_STATUS.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { page, errors };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(OUT, { recursive: true });
  await setScheduleActive(sql, false);
  await sql`delete from public.platform_connections`;
  await emulator.clearFaults();
  await emulator.config({ latency_ms: 0 });
  await emulator.resetStats();
  admin = await signUserToken(await loadKeys(), await ensureUser("dashboard-admin@example.com", { admin: true }));
  plain = await userToken("dashboard-user@example.com");
  const owner = await userToken("dashboard-owner@example.com");
  // A connection refreshed by a scheduled run, so there is a run (and a bar in the chart) to show.
  await seedConnection(sql, { userId: owner.id, provider: "reddit", account: "dash-scheduled", expiresIn: 30 });
  expect((await callFunction("refresh-expiring", { method: "POST", body: "{}", token: (await keys()).serviceRoleKey })).status).toBe(200);
  // A dead grant, found dead by a refresh (status needs_reauth, with its last error).
  dead = await seedConnection(sql, { userId: owner.id, provider: "twitter", account: "dash-dead", expiresIn: 3600 });
  await emulator.revokeAccount("twitter", "dash-dead");
  const r = await callFunction("token-admin/refresh", { method: "POST", token: admin, body: JSON.stringify({ connection_id: dead.id }) });
  expect((await r.json()).outcome).toBe("needs_reauth");
  // A connection whose last refresh failed but whose grant is fine: what the refresh button is for.
  flaky = await seedConnection(sql, { userId: owner.id, provider: "discord", account: "dash-flaky", expiresIn: 3600 });
  await sql`update public.platform_connections set consecutive_failures = 1, last_sync_status = 'failed',
    last_sync_error = 'the provider answered 503' where id = ${flaky.id}`;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profileDir,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(profileDir, { recursive: true, force: true });
  await setScheduleActive(sql, true);
  await sql.end();
});

describe("the dashboard in chromium", () => {
  it("signs in through the fragment, drops it from the address bar, shows the needs_reauth connection and the runs", async () => {
    const { page, errors } = await open();
    await page.goto(`${DASHBOARD_URL}/#access_token=${admin}`, { waitUntil: "load" });
    await page.waitForSelector("#connections tbody tr", { timeout: 20_000 });
    const location = await page.evaluate(() => ({ href: window.location.href, hash: window.location.hash, length: history.length }));
    expect(location.hash).toBe("");
    expect(location.href).toBe(`${DASHBOARD_URL}/`);
    expect(location.href).not.toContain(admin.slice(-20));

    const deadRow = await page.$eval(`#connections tr[data-id="${dead.id}"]`, (tr) => ({
      status: tr.querySelector(".status")!.textContent, error: tr.querySelector(".error")!.textContent, text: tr.textContent,
    }));
    expect(deadRow.status).toBe("needs_reauth");
    expect(deadRow.error!.length).toBeGreaterThan(0);
    expect(deadRow.text).toContain("twitter");
    expect(await page.$(`#connections tr[data-id="${flaky.id}"]`)).not.toBeNull();

    await page.waitForSelector("#runs tbody tr");
    const run = await page.$eval("#runs tbody tr", (tr) => tr.textContent);
    expect(run).toContain("drained");
    const health = await page.$eval("#health", (t) => t.textContent);
    expect(health).toContain("twitter");
    // token-admin serves the webhook routes: the page shows deliveries (or that there are none yet), not their absence.
    const deliveries = (await page.$("#deliveries")) ?? (await page.$("#no-webhooks"));
    expect(await deliveries!.evaluate((e) => e.textContent)).not.toMatch(/No webhook data/);
    expect(await page.$(".chart canvas")).not.toBeNull();
    const text = await page.evaluate(() => document.body.innerText);
    for (const s of [dead.accessToken, dead.refreshToken!, flaky.accessToken, flaky.refreshToken!]) expect(text).not.toContain(s);
    await page.screenshot({ path: join(OUT, "dashboard.png"), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("the refresh button refreshes the connection: its last refresh time changes and the provider saw the call", async () => {
    const { page, errors } = await open();
    await page.goto(`${DASHBOARD_URL}/#access_token=${admin}`, { waitUntil: "load" });
    await page.waitForSelector("#connections tbody tr", { timeout: 20_000 });
    // All statuses: a refreshed connection is no longer failing and would leave the default (failing) list.
    await page.select("#status-filter", "");
    await page.waitForSelector(`#connections tr[data-id="${flaky.id}"]`);
    const row = `#connections tr[data-id="${flaky.id}"]`;
    await page.waitForFunction((sel) => document.querySelectorAll("#connections tbody tr").length >= 3 && !!document.querySelector(sel), {}, row);
    const before = await page.$eval(`${row} .last-refreshed`, (td) => td.getAttribute("data-at"));
    const refreshesBefore = (await emulator.stats("discord")).refresh_ok;
    await page.click(`${row} button.refresh`);
    await page.waitForFunction((sel, b) => {
      const td = document.querySelector(`${sel} .last-refreshed`);
      return td !== null && td.getAttribute("data-at") !== b && td.getAttribute("data-at") !== "";
    }, { timeout: 20_000 }, row, before);
    expect(await page.$eval("#flash", (p) => p.textContent)).toMatch(/discord dash-flaky: refreshed/);
    expect(await page.$eval(`${row} .status`, (td) => td.textContent)).toBe("connected");
    expect((await emulator.stats("discord")).refresh_ok).toBe(refreshesBefore + 1);
    const [db] = await sql<{ last_refreshed_at: Date | null; consecutive_failures: number }[]>`
      select last_refreshed_at, consecutive_failures from public.platform_connections where id = ${flaky.id}`;
    expect(db!.last_refreshed_at).not.toBeNull();
    expect(db!.consecutive_failures).toBe(0);
    await page.screenshot({ path: join(OUT, "dashboard-refreshed.png"), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("a provider's failing connections are refreshed with one button, through refresh-many", async () => {
    const { page, errors } = await open();
    await page.goto(`${DASHBOARD_URL}/#access_token=${admin}`, { waitUntil: "load" });
    await page.waitForSelector('button[data-refresh-provider="twitter"]', { timeout: 20_000 });
    const before = (await emulator.stats("twitter")).refresh;
    await page.click('button[data-refresh-provider="twitter"]');
    await page.waitForFunction(() => /failing connections: /.test(document.querySelector("#flash")?.textContent ?? ""), { timeout: 20_000 });
    // The dead grant is tried once more and stays needs_reauth; nothing else of twitter's is touched.
    expect(await page.$eval("#flash", (p) => p.textContent)).toMatch(/twitter's failing connections: 1 selected, 0 refreshed, 0 failed, 1 need reauth, 0 skipped/);
    expect((await emulator.stats("twitter")).refresh).toBe(before + 1);
    expect(await page.$eval(`#connections tr[data-id="${dead.id}"] .status`, (td) => td.textContent)).toBe("needs_reauth");
    expect(errors).toEqual([]);
  });

  it("a pasted token signs in too", async () => {
    const { page } = await open();
    await page.goto(`${DASHBOARD_URL}/`, { waitUntil: "load" });
    await page.waitForSelector("#sign-in textarea");
    await page.type("#sign-in textarea", admin);
    await page.click("#sign-in button[type=submit]");
    await page.waitForSelector("#health", { timeout: 20_000 });
  });

  it("a plain user's JWT shows nothing but a refusal", async () => {
    const { page, errors } = await open();
    await page.goto(`${DASHBOARD_URL}/#access_token=${plain.token}`, { waitUntil: "load" });
    await page.waitForSelector("#refusal", { timeout: 20_000 });
    expect(await page.evaluate(() => window.location.hash)).toBe("");
    expect(await page.$eval("#refusal", (p) => p.textContent)).toMatch(/not an admin/);
    for (const sel of ["#health", "#connections", "#runs", "#cron", ".chart", "#deliveries"]) expect(await page.$(sel), sel).toBeNull();
    const text = await page.evaluate(() => document.body.innerText);
    for (const s of ["twitter", "discord", "dash-dead", "dash-flaky", "needs_reauth"]) expect(text).not.toContain(s);
    await page.screenshot({ path: join(OUT, "dashboard-refusal.png"), fullPage: true });
    expect(errors).toEqual([]);
  });
});
