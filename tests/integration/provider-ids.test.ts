import { afterAll, describe, expect, it } from "vitest";
import { PROVIDER_IDS } from "../../packages/shared/src/providers/provider-ids.ts";
import { db } from "../helpers/stack.ts";
import { seedConnection } from "../helpers/connections.ts";
import { userToken } from "../helpers/stack.ts";

const sql = db();
afterAll(() => sql.end());

describe("provider ids in the database", () => {
  it("public.is_provider_id accepts exactly the ids of provider-ids.ts", async () => {
    const rows = await sql<{ id: string; ok: boolean }[]>`
      select id, public.is_provider_id(id) as ok from unnest(${[...PROVIDER_IDS, "Spotify", "dropbox ", "", "unknown"]}::text[]) as id`;
    const accepted = rows.filter((r) => r.ok).map((r) => r.id);
    expect(accepted.sort()).toEqual([...PROVIDER_IDS].sort());
  });

  it("every table with a provider column checks it through public.is_provider_id", async () => {
    const rows = await sql<{ table: string; checks: string[] }[]>`
      select c.relname as table,
             coalesce(array_agg(pg_get_constraintdef(k.oid)) filter (where k.oid is not null), '{}') as checks
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid and c.relkind = 'r' and c.relnamespace = 'public'::regnamespace
      left join pg_constraint k on k.conrelid = c.oid and k.contype = 'c' and a.attnum = any (k.conkey)
      where a.attname = 'provider' and not a.attisdropped
      group by c.relname`;
    expect(rows.map((r) => r.table)).toEqual(expect.arrayContaining(["platform_connections", "oauth_states", "token_audit_log"]));
    for (const row of rows) expect(row.checks.join(" "), row.table).toContain("is_provider_id(provider)");
  });

  it("a connection of the newest provider is stored, an unknown one refused", async () => {
    const user = await userToken("provider-ids@example.com");
    const seeded = await seedConnection(sql, { userId: user.id, provider: "dropbox", account: "dbid:provider-ids", expiresIn: 3600 });
    expect(seeded.id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(
      sql`update public.platform_connections set provider = 'myspace' where id = ${seeded.id}`,
    ).rejects.toMatchObject({ code: "23514" });
  });
});
