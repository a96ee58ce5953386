/**
 * `tokens import`: 10,000 lines served by get-token and encrypted at rest; a second run changes nothing; a file
 * with bad lines is reported by line number and nothing of it is imported.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callFunction, db, keys } from "../helpers/stack.ts";
import { ensureUser } from "../../scripts/stack/users.ts";
import { runCli } from "../helpers/tokens-cli.ts";
import { setScheduleActive } from "../helpers/connections.ts";

const sql = db();
const dir = mkdtempSync(join(tmpdir(), "tokens-import-"));
const USERS = 100;
const PER_USER = 100;
const PROVIDERS = ["spotify", "github", "google", "twitch", "discord"] as const;
const emails = Array.from({ length: USERS }, (_, i) => `import-${i}-${Date.now().toString(36)}@example.com`);
let userIds: string[] = [];
let serviceKey: string;

const tokenOf = (u: number, n: number) => `imp_at_${u}_${n}_${"x".repeat(20)}`;

beforeAll(async () => {
  await setScheduleActive(sql, false);
  userIds = [];
  for (const e of emails) userIds.push((await ensureUser(e)).id);
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await sql`delete from auth.users where id = any(${userIds}::uuid[])`;
  await setScheduleActive(sql, true);
  await sql.end();
});

function lines(): string {
  const out: string[] = [];
  const exp = Math.floor(Date.now() / 1000) + 86_400;
  for (let u = 0; u < USERS; u++) {
    for (let n = 0; n < PER_USER; n++) {
      const provider = PROVIDERS[n % PROVIDERS.length]!;
      const row: Record<string, unknown> = {
        ...(n % 2 === 0 ? { email: emails[u] } : { user_id: userIds[u] }),
        provider, account: `acct-${n}`, access_token: tokenOf(u, n), refresh_token: `imp_rt_${u}_${n}`,
        expires_at: n % 3 === 0 ? new Date(exp * 1000).toISOString() : exp, scopes: n % 2 === 0 ? ["read", "write"] : "read write",
      };
      out.push(JSON.stringify(row));
    }
  }
  return out.join("\n") + "\n";
}

describe("tokens import", () => {
  it("imports 10,000 lines, every one served by get-token and encrypted at rest; a second run changes nothing", async () => {
    const file = join(dir, "tokens.jsonl");
    writeFileSync(file, lines());
    const first = await runCli(["import", file, "--json"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ inserted: USERS * PER_USER, updated: 0, unchanged: 0, errors: [] });

    const rows = await sql<{ id: string; user_id: string; account_id: string; access_token: string; refresh_token: string; version: string }[]>`
      select id, user_id, account_id, access_token, refresh_token, version from public.platform_connections where user_id = any(${userIds}::uuid[]) order by id`;
    expect(rows).toHaveLength(USERS * PER_USER);
    for (const r of rows) {
      expect(r.access_token).toMatch(/^v1\.[A-Za-z0-9_-]+\./);
      expect(r.access_token).not.toContain("imp_at_");
      expect(r.refresh_token).not.toContain("imp_rt_");
    }

    // Every imported connection is served, with the token the file gave.
    const jobs = rows.map((r) => ({ userIndex: userIds.indexOf(r.user_id), n: Number(r.account_id.slice(5)) }));
    let next = 0;
    const wrong: string[] = [];
    await Promise.all(Array.from({ length: 24 }, async () => {
      while (next < jobs.length) {
        const { userIndex, n } = jobs[next++]!;
        const res = await callFunction("get-token", {
          method: "POST", token: serviceKey,
          body: JSON.stringify({ provider: PROVIDERS[n % PROVIDERS.length], account: `acct-${n}`, user_id: userIds[userIndex] }),
        });
        const body = await res.json();
        if (res.status !== 200 || body.access_token !== tokenOf(userIndex, n)) wrong.push(`${userIndex}/${n}: ${res.status}`);
      }
    }));
    expect(wrong).toEqual([]);

    const second = await runCli(["import", file, "--json"]);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ inserted: 0, updated: 0, unchanged: USERS * PER_USER, errors: [] });
    const again = await sql<{ id: string; version: string; access_token: string }[]>`
      select id, version, access_token from public.platform_connections where user_id = any(${userIds}::uuid[]) order by id`;
    expect(again.map((r) => [r.id, r.version, r.access_token])).toEqual(rows.map((r) => [r.id, r.version, r.access_token]));
  }, 600_000);

  it("reports bad lines by number without echoing a token, and imports nothing of the file", async () => {
    const good = (n: number) => JSON.stringify({ email: emails[0], provider: "reddit", account: `bad-file-${n}`, access_token: `good_secret_${n}` });
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, [
      good(1),
      JSON.stringify({ email: emails[0], provider: "myspace", access_token: "leaky_secret_1" }),
      good(3),
      "{oops",
      JSON.stringify({ email: "nobody-here@example.com", provider: "reddit", access_token: "leaky_secret_2" }),
      JSON.stringify({ email: emails[0], provider: "reddit", account: "x", access_token: "has space secret" }),
    ].join("\n"));
    const run = await runCli(["import", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^line 2: "provider" must be one of/m);
    expect(run.stderr).toMatch(/^line 4: is not valid JSON/m);
    expect(run.stderr).toMatch(/^line 5: "email" names no user/m);
    expect(run.stderr).toMatch(/^line 6: "access_token" must be/m);
    expect(run.stderr).toContain("nothing imported");
    expect(run.stdout + run.stderr).not.toMatch(/leaky_secret|good_secret|has space secret/);
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.platform_connections where account_id like 'bad-file-%'` as unknown as [{ n: number }];
    expect(n).toBe(0);

    // Asked to, it imports the good lines and still reports the bad ones.
    const skip = await runCli(["import", file, "--skip-invalid", "--json"]);
    expect(skip.code).toBe(1);
    const result = JSON.parse(skip.stdout);
    expect(result.inserted).toBe(2);
    expect(result.errors.map((e: { line: number }) => e.line)).toEqual([2, 4, 5, 6]);
  });

  it("reads CSV with the same columns; a missing file or a malformed quote is one clear line", async () => {
    const file = join(dir, "tokens.csv");
    writeFileSync(file, `email,provider,account,access_token,refresh_token,expires_at,scopes\n${emails[1]},etsy,csv-1,csv_at_1,csv_rt_1,2031-01-01T00:00:00Z,"listings_r shops_r"\n`);
    const run = await runCli(["import", file, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).inserted).toBe(1);
    const res = await callFunction("get-token", { method: "POST", token: serviceKey, body: JSON.stringify({ provider: "etsy", account: "csv-1", user_id: userIds[1] }) });
    expect(await res.json()).toMatchObject({ access_token: "csv_at_1", scopes: ["listings_r", "shops_r"] });

    // The same connection with new tokens: updated in place (same row, a new version), served at once.
    const [before] = await sql<{ id: string; version: string }[]>`select id, version from public.platform_connections where user_id = ${userIds[1]!} and account_id = 'csv-1'`;
    writeFileSync(file, `email,provider,account,access_token,refresh_token,expires_at,scopes\n${emails[1]},etsy,csv-1,csv_at_2,csv_rt_2,2031-01-01T00:00:00Z,"listings_r shops_r"\n`);
    const update = await runCli(["import", file, "--json"]);
    expect(JSON.parse(update.stdout)).toMatchObject({ inserted: 0, updated: 1, unchanged: 0 });
    const [after] = await sql<{ id: string; version: string }[]>`select id, version from public.platform_connections where user_id = ${userIds[1]!} and account_id = 'csv-1'`;
    expect(after!.id).toBe(before!.id);
    expect(Number(after!.version)).toBeGreaterThan(Number(before!.version));
    const served = await callFunction("get-token", { method: "POST", token: serviceKey, body: JSON.stringify({ provider: "etsy", account: "csv-1", user_id: userIds[1] }) });
    expect((await served.json()).access_token).toBe("csv_at_2");

    const missing = await runCli(["import", join(dir, "nope.csv")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`tokens: cannot read ${join(dir, "nope.csv")}: ENOENT`);
    writeFileSync(join(dir, "broken.csv"), 'email,provider\n"a@b.c,spotify\n');
    const broken = await runCli(["import", join(dir, "broken.csv")]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("line 2: a quoted CSV field is not closed");
  });
});
