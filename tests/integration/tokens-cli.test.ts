/**
 * The operator CLI against the stack and the emulator: `connect` end to end through a loopback redirect,
 * `refresh` and `disconnect` leaving the same audit rows as the functions, `list`/`status` never showing a token,
 * and errors as one line with a non-zero exit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callFunction, db, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";
import { TEST_APP_URL } from "../helpers/stack-env.ts";
import { runCli, startCli } from "../helpers/tokens-cli.ts";
import { authorize, followCallback, uniqueEmail } from "./connect-support.ts";

const sql = db();
let alice: { id: string; email: string; token: string };
let bob: { id: string; email: string; token: string };

beforeAll(async () => {
  await setScheduleActive(sql, false);
  alice = await userToken(uniqueEmail("tokens-cli-alice"));
  bob = await userToken(uniqueEmail("tokens-cli-bob"));
});
afterAll(async () => {
  await sql`delete from auth.users where id in (${alice.id}, ${bob.id})`;
  await setScheduleActive(sql, true);
  await sql.end();
});

const audit = (connectionId: string, action: string) => sql<{ action: string; outcome: string; error_code: string | null; http_status: number | null; provider: string; user_id: string | null }[]>`
  select action, outcome, error_code, http_status, provider, user_id from public.token_audit_log where connection_id = ${connectionId} and action = ${action} order by id`;

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("tokens connect", () => {
  it("prints the authorize URL, completes through its loopback redirect and waits until connected", async () => {
    const redirect = `${TEST_APP_URL}/tokens-cli`;
    const run = startCli(["connect", "spotify", "--user", alice.email, "--redirect-url", redirect, "--no-browser", "--account", "sp-cli"]);
    await waitFor(() => /https?:\/\/\S+\/authorize\S*/.test(run.output().stderr), 60_000);
    const authorizeUrl = new URL(/https?:\/\/\S+\/authorize\S*/.exec(run.output().stderr)![0]);
    expect(new URL(authorizeUrl.searchParams.get("redirect_uri")!).pathname).toBe("/functions/v1/oauth-callback");

    // A stray or forged request to the loopback address is refused and the command keeps waiting.
    expect((await fetch(`${redirect}?connect=../../etc&provider=spotify`)).status).toBe(400);
    expect((await fetch(`${TEST_APP_URL}/elsewhere`)).status).toBe(404);

    const callback = await authorize(authorizeUrl, { emulator_account: "sp-cli" });
    const { location } = await followCallback(callback);
    expect(location?.href.startsWith(redirect)).toBe(true);
    expect(location!.searchParams.get("connect")).toBeTruthy();
    const page = await fetch(location!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Connected");

    const done = await run.done;
    expect(done.stderr).not.toMatch(/tokens:/);
    expect(done.code).toBe(0);
    expect(done.stdout.trim()).toBe("connected spotify (sp-cli)");
    const [row] = await sql`select id, status from public.platform_connections where user_id = ${alice.id} and provider = 'spotify' and account_id = 'sp-cli'`;
    expect(row!.status).toBe("connected");
    expect((await audit(row!.id, "connect")).map((a) => a.outcome)).toContain("success");
  });

  it("refuses a redirect that is not a loopback address, in one line", async () => {
    const run = await runCli(["connect", "spotify", "--user", alice.email, "--redirect-url", "https://evil.example/cb", "--no-browser"]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe("tokens: --redirect-url must be http://127.0.0.1:<port>/<path> (a loopback address with a port, RFC 8252 §7.3)");
  });
});

describe("tokens refresh and disconnect go through the functions' engine", () => {
  it("refresh leaves the same audit rows as a refresh by get-token", async () => {
    const viaCli = await seedConnection(sql, { userId: alice.id, provider: "twitch", account: "tw-a", expiresIn: -10 });
    const viaFn = await seedConnection(sql, { userId: bob.id, provider: "twitch", account: "tw-b", expiresIn: -10 });

    const run = await runCli(["refresh", "twitch", "--user", alice.email, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ provider: "twitch", account: "tw-a", outcome: "refreshed", persisted: "saved" });
    expect(JSON.stringify(result)).not.toMatch(/access_token|refresh_token/);

    const res = await callFunction("get-token", { method: "POST", token: bob.token, body: JSON.stringify({ provider: "twitch" }) });
    expect(res.status).toBe(200);
    const strip = (rows: Awaited<ReturnType<typeof audit>>) => rows.map(({ user_id: _u, ...r }) => r);
    const cliRows = strip(await audit(viaCli.id, "refresh"));
    expect(cliRows).toEqual([{ action: "refresh", outcome: "success", error_code: null, http_status: null, provider: "twitch" }]);
    expect(cliRows).toEqual(strip(await audit(viaFn.id, "refresh")));
    // The old refresh token is spent at the emulator: the new one was saved, under the lease.
    expect((await emulator.token(viaCli.refreshToken!)).refresh?.state).not.toBe("active");
  });

  it("disconnect leaves the same audit rows as the disconnect function, and revokes at the provider", async () => {
    const viaCli = await seedConnection(sql, { userId: alice.id, provider: "google", account: "g-a", expiresIn: 3600 });
    const viaFn = await seedConnection(sql, { userId: bob.id, provider: "google", account: "g-b", expiresIn: 3600 });
    await emulator.resetStats();
    const run = await runCli(["disconnect", "google", "--user", alice.email]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe("disconnected google (revocation: revoked)");
    const res = await callFunction("disconnect", { method: "POST", token: bob.token, body: JSON.stringify({ provider: "google" }) });
    expect(res.status).toBe(200);
    const strip = (rows: Awaited<ReturnType<typeof audit>>) => rows.map(({ user_id: _u, ...r }) => r);
    expect(strip(await audit(viaCli.id, "disconnect"))).toEqual(strip(await audit(viaFn.id, "disconnect")));
    expect((await audit(viaCli.id, "disconnect")).length).toBeGreaterThan(0);
    expect((await emulator.stats("google")).revoke).toBe(2);
    const rows = await sql`select status, access_token, refresh_token from public.platform_connections where id in (${viaCli.id}, ${viaFn.id})`;
    for (const r of rows) expect(r).toEqual({ status: "disconnected", access_token: null, refresh_token: null });

    const again = await runCli(["disconnect", "google", "--user", alice.email]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe("tokens: not_connected: no google connection");
  });
});

describe("tokens list and status", () => {
  it("lists connections with filters and never a token", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "discord", account: "dc-1", expiresIn: 3600 });
    const run = await runCli(["list", "--user", alice.email, "--provider", "discord", "--json"]);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email: alice.email, provider: "discord", account: "dc-1", status: "connected" });
    const text = (await runCli(["list", "--user", alice.email])).stdout;
    for (const out of [run.stdout, text]) {
      expect(out).not.toContain(seeded.accessToken);
      expect(out).not.toContain(seeded.refreshToken!);
      expect(out).not.toMatch(/v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\./);
    }
    expect(text).toMatch(/dc-1\s+connected/);
  });

  it("status counts by provider and status, rows per key id and the last scheduled runs, as text or JSON", async () => {
    await seedConnection(sql, { userId: bob.id, provider: "linkedin", account: "li-1", expiresIn: 600 });
    const json = await runCli(["status", "--json"]);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout);
    expect(s.by_provider.linkedin.connected).toBeGreaterThanOrEqual(1);
    expect(s.expiring_soon).toBeGreaterThanOrEqual(1);
    const primary = s.encryption_keys.primary_key_id as string;
    expect(s.encryption_keys.by_key_id[primary]).toMatchObject({ in_ring: true });
    expect(s.encryption_keys.by_key_id[primary].rows).toBeGreaterThanOrEqual(1);
    expect(Array.isArray(s.scheduled_runs)).toBe(true);
    expect(s.refresh_runs === null || Array.isArray(s.refresh_runs)).toBe(true);
    const text = await runCli(["status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^linkedin\s+connected\s+\d+$/m);
    expect(text.stdout).toContain(`encryption keys (primary ${primary}):`);
    expect(text.stdout + json.stdout).not.toMatch(/v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\./);
  });

  it("answers a bad argument or an unknown user with one line and a non-zero exit; --help everywhere", async () => {
    const bad = await runCli(["list", "--status", "sleepy"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/argument 'sleepy' is invalid/);
    const nobody = await runCli(["refresh", "spotify", "--user", "nobody-at-all@example.com"]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr.trim()).toBe("tokens: no user with email nobody-at-all@example.com");
    for (const cmd of ["status", "list", "import", "rotate-key", "refresh", "disconnect", "connect"]) {
      const help = await runCli([cmd, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: tokens ${cmd}`);
    }
  });
});
