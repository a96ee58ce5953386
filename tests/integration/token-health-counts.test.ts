// public.connection_counts against the rows it counts, under concurrent writers: many connections at once
// inserting, changing status, failing, rotating keys, deleting, some in transactions that roll back.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_URL } from "../../scripts/stack/paths.ts";
import { db, userToken } from "../helpers/stack.ts";

const sql = db();
const writers = postgres(DB_URL, { max: 12, onnotice: () => {} });
let users: string[] = [];

const PROVIDERS = ["reddit", "github", "spotify"];
const STATUSES = ["connected", "token_expired", "needs_reauth", "error", "disconnected"];

/** The counters' totals and a full count of the same rows, read in one statement (one snapshot). */
async function compare(on: postgres.Sql = sql) {
  const rows = await on<{ k: string; counted: number | null; actual: number | null }[]>`
    with counted as (
      select provider || '/' || status || '/' || retrying || '/' || encryption_key_id as k, sum(n)::int as n
      from public.connection_counts group by 1 having sum(n) <> 0
    ), actual as (
      select provider || '/' || status || '/' || (consecutive_failures > 0 and next_attempt_at is not null) || '/'
             || coalesce(encryption_key_id, '') as k, count(*)::int as n
      from public.platform_connections group by 1
    )
    select k, c.n as counted, a.n as actual from counted as c full join actual as a using (k) order by k`;
  const counted: Record<string, number> = {};
  const actual: Record<string, number> = {};
  for (const r of rows) {
    if (r.counted !== null) counted[r.k] = r.counted;
    if (r.actual !== null) actual[r.k] = r.actual;
  }
  return { counted, actual };
}

beforeAll(async () => {
  users = [];
  for (let i = 0; i < 4; i++) users.push((await userToken(`health-counts-${i}@example.com`)).id);
  await sql`delete from public.platform_connections where user_id in ${sql(users)}`;
});
afterAll(async () => {
  await sql`delete from public.platform_connections where user_id in ${sql(users)}`;
  await writers.end();
  await sql.end();
});

describe("connection counters", () => {
  it("equal a full count after concurrent inserts, updates, deletes and rollbacks", async () => {
    const pick = <T>(a: T[], n: number) => a[n % a.length]!;
    const rounds = 40;
    const work = Array.from({ length: 12 }, (_, w) => (async () => {
      for (let r = 0; r < rounds; r++) {
        const n = w * 1000 + r;
        const user = pick(users, n);
        const rollback = r % 7 === 3;
        await writers.begin(async (tx) => {
          switch (r % 5) {
            case 0:
              // Three live rows with ciphertext, one disconnected row without.
              await tx`insert into public.platform_connections (user_id, provider, account_id, access_token, encryption_key_id, status)
                select ${user}, ${pick(PROVIDERS, n)}, 'acct-' || ${n} || '-' || g,
                       case when g < 4 then 'v1.' || ${pick(["k1", "k2"], r)} || '.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAA' end,
                       case when g < 4 then ${pick(["k1", "k2"], r)} end,
                       case when g < 4 then ${pick(STATUSES, n + 1)} else 'disconnected' end
                from generate_series(1, 4) as g`;
              break;
            case 1:
              await tx`update public.platform_connections set status = ${pick(STATUSES, n)}
                where user_id = ${user} and access_token is not null and account_id like ${`acct-${w}%`}`;
              break;
            case 2:
              await tx`update public.platform_connections set consecutive_failures = consecutive_failures + 1, next_attempt_at = now() + interval '1 minute'
                where id = (select id from public.platform_connections where user_id = ${user} order by random() limit 1)`;
              break;
            case 3: {
              // A key rotation: k1 rows move to k2 and k2 rows to k1.
              const envelope = (k: string) => `v1.${k}.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAA`;
              await tx`update public.platform_connections
                set encryption_key_id = case encryption_key_id when 'k1' then 'k2' else 'k1' end,
                    access_token = case encryption_key_id when 'k1' then ${envelope("k2")} else ${envelope("k1")} end
                where user_id = ${user} and provider = ${pick(PROVIDERS, n)} and access_token is not null`;
              break;
            }
            default:
              await tx`delete from public.platform_connections
                where id in (select id from public.platform_connections where user_id = ${user} order by random() limit 2)`;
          }
          if (rollback) throw new Error("rolled back on purpose");
        }).catch((e: Error) => {
          if (e.message !== "rolled back on purpose") throw e;
        });
      }
    })());
    await Promise.all(work);
    const { counted, actual } = await compare();
    expect(Object.keys(actual).length).toBeGreaterThan(0);
    expect(counted).toEqual(actual);
  });

  it("token-health's counts move with a status change in the same transaction, not before it commits", async () => {
    const [row] = await sql<{ id: string }[]>`
      insert into public.platform_connections (user_id, provider, account_id, access_token, encryption_key_id, status)
      values (${users[0]!}, 'reddit', 'visible-after-commit', 'v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAA', 'k1', 'connected')
      returning id`;
    const before = await compare();
    const reserved = await writers.reserve();
    try {
      await reserved`begin`;
      await reserved`update public.platform_connections set status = 'needs_reauth' where id = ${row!.id}`;
      // Another session sees the old counts while the change is uncommitted.
      expect((await compare()).counted).toEqual(before.counted);
      await reserved`commit`;
    } finally {
      reserved.release();
    }
    const after = await compare();
    expect(after.counted).toEqual(after.actual);
    expect(after.counted["reddit/needs_reauth/false/k1"]).toBe((before.counted["reddit/needs_reauth/false/k1"] ?? 0) + 1);
  });
});
