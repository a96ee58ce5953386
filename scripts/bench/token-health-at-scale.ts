/**
 * Bench part H: token-health over `rows` connections generated in SQL (1,000 users; 1% lapsed, 1% backing
 * off, 1% needs_reauth, 1% disconnected, the rest connected and valid), vacuumed and analysed as autovacuum
 * would leave them. Times the function end to end and its SQL alone (median of 20 each), and once the
 * full-scan query token-health ran before connection_counts, for comparison. The rows are removed after.
 */
import type postgres from "postgres";
import { percentile } from "./load.ts";

export interface HealthOptions {
  sql: postgres.Sql;
  rows: number;
  /** One GET of the function; resolves to its milliseconds. */
  call: () => Promise<number>;
  log: (m: string) => void;
}

const USERS = 1000;
const EMAIL = (n: number | string) => `bench-health-${n}@bench.invalid`;

async function timed(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

export async function benchHealth(o: HealthOptions) {
  const { sql } = o;
  const cleanup = () => sql`delete from auth.users where email like ${EMAIL("%")}`;
  o.log(`H. generating ${o.rows.toLocaleString("en")} connections in SQL…`);
  await cleanup();
  const t0 = performance.now();
  await sql`insert into auth.users (email) select 'bench-health-' || g || '@bench.invalid' from generate_series(1, ${USERS}) as g`;
  try {
    await sql`
      insert into public.platform_connections (user_id, provider, account_id, access_token, refresh_token, encryption_key_id, status,
        token_expires_at, consecutive_failures, next_attempt_at)
      select u.id,
        (array['spotify', 'discord', 'google', 'github', 'etsy', 'shopify', 'quickbooks', 'xero', 'microsoft', 'reddit', 'twitch'])[1 + i % 11],
        i::text,
        case when i % 100 = 3 then null else 'v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAA' end,
        case when i % 100 = 3 then null else 'v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAB' end,
        case when i % 100 = 3 then null else 'k1' end,
        case i % 100 when 2 then 'needs_reauth' when 3 then 'disconnected' else 'connected' end,
        case i % 100 when 1 then now() - interval '5 minutes' when 2 then now() - interval '1 day' when 3 then now() - interval '30 days'
          else now() + interval '10 minutes' + (i % 86400) * interval '1 second' end,
        case when i % 100 = 4 then 2 else 0 end,
        case when i % 100 = 4 then now() + interval '10 minutes' end
      from generate_series(0, ${o.rows - 1}) as i
      join (select row_number() over (order by id) as n, id from auth.users where email like ${EMAIL("%")}) as u on u.n = 1 + i % ${USERS}`;
    const generateSeconds = (performance.now() - t0) / 1000;
    o.log(`   generated in ${generateSeconds.toFixed(1)} s; vacuum analyze…`);
    await sql`vacuum analyze public.platform_connections`;
    const [lapsed] = await sql<{ expired: number }[]>`
      select count(*)::int as expired from public.platform_connections where status <> 'disconnected' and token_expires_at < now()`;
    o.log("   timing token-health…");
    const countsSql = () => sql`select provider, status, sum(n)::int as n, coalesce(sum(n) filter (where retrying), 0)::int as retrying
      from public.connection_counts group by provider, status`;
    const lapsedSql = () => sql`select provider, count(*)::int as n from public.platform_connections
      where status <> 'disconnected' and token_expires_at < now() group by provider`;
    await o.call();
    const fn = await timed(20, o.call);
    const sqlMs = await timed(20, () => Promise.all([countsSql(), lapsedSql()]));
    const fullScan = await timed(3, () => sql`
      select provider, status, count(*)::int as n,
             count(*) filter (where consecutive_failures > 0 and next_attempt_at is not null)::int as retrying,
             count(*) filter (where token_expires_at < now())::int as expired
      from public.platform_connections group by provider, status`);
    return {
      rows: o.rows, expired_rows: lapsed!.expired, generate_seconds: generateSeconds,
      function_ms_p50: percentile(fn, 50), function_ms_max: fn.at(-1),
      sql_ms_p50: percentile(sqlMs, 50), sql_ms_max: sqlMs.at(-1),
      full_scan_ms: percentile(fullScan, 50),
    };
  } finally {
    o.log("   removing the generated connections…");
    await cleanup();
  }
}
