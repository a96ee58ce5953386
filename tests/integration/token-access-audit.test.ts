/**
 * The audit trail counts what matters without a row per read: successful get-token reads, the service
 * role's reads of a user's token among them, and refused reads, per connection per hour.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };
let serviceKey: string;

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken(uniqueEmail("token-access-audit"));
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await setScheduleActive(sql, true);
  await sql.end();
});

const getToken = (provider: string, token: string, extra: Record<string, unknown> = {}) =>
  callFunction("get-token", { method: "POST", body: JSON.stringify({ provider, ...extra }), token });

it("counts user reads, service-role reads and refused reads per connection, and writes no audit row per read", async () => {
  const served = await seedConnection(sql, { userId: user.id, provider: "spotify", account: "audit-ok", expiresIn: 3600 });
  const refused = await seedConnection(sql, { userId: user.id, provider: "twitch", account: "audit-reauth", expiresIn: -30 });
  await sql`update public.platform_connections set status = 'needs_reauth' where id = ${refused.id}`;

  for (let i = 0; i < 3; i++) expect((await getToken("spotify", user.token)).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await getToken("spotify", serviceKey, { user_id: user.id })).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await getToken("twitch", user.token)).status).toBe(409);
  expect((await getToken("twitch", serviceKey, { user_id: user.id })).status).toBe(409);

  // Each get-token process writes its counts every 10 s.
  const counts = async (id: string) => {
    const [r] = await sql<{ reads: number; service_reads: number; refused_reads: number }[]>`
      select coalesce(sum(reads), 0)::int as reads, coalesce(sum(service_reads), 0)::int as service_reads,
        coalesce(sum(refused_reads), 0)::int as refused_reads
      from public.token_access_counters where connection_id = ${id}`;
    return r!;
  };
  const deadline = Date.now() + 25_000;
  while (Date.now() < deadline && ((await counts(served.id)).reads < 5 || (await counts(refused.id)).refused_reads < 3)) {
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(await counts(served.id)).toEqual({ reads: 5, service_reads: 2, refused_reads: 0 });
  expect(await counts(refused.id)).toEqual({ reads: 0, service_reads: 0, refused_reads: 3 });
  const rows = await sql`select 1 from public.token_audit_log where connection_id in (${served.id}, ${refused.id}) and action = 'get_token'`;
  expect(rows.length).toBe(0);
});
