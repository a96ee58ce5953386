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

  it("every table that names a provider checks it through public.is_provider_id", async () => {
    const rows = await sql<{ table: string; def: string }[]>`
      select conrelid::regclass::text as table, pg_get_constraintdef(oid) as def
      from pg_constraint
      where contype = 'c' and connamespace = 'public'::regnamespace and pg_get_constraintdef(oid) ~ '\\mprovider\\M'`;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row.def, row.table).toContain("is_provider_id(provider)");
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
