import postgres from "postgres";

/** The variables the database client reads. */
export interface DbEnv {
  /** Direct connection, provided by the platform to every Edge Function. */
  SUPABASE_DB_URL?: string;
  /**
   * A pooler URL (Supavisor, transaction mode, port 6543) to use instead; recommended on hosted projects where
   * many function instances connect at once. Transaction mode means no prepared statements.
   * https://supabase.com/docs/guides/database/connecting-to-postgres#supavisor-transaction-mode
   */
  DB_POOLER_URL?: string;
  /** Connections per function instance (default 10). */
  DB_POOL_SIZE?: string;
}

export type Sql = ReturnType<typeof postgres>;

/** Creates the `postgres` client a function uses for its lifetime. */
export function createSql(env: DbEnv, applicationName: string): Sql {
  const url = env.DB_POOLER_URL || env.SUPABASE_DB_URL;
  if (!url) throw new Error("SUPABASE_DB_URL is not set");
  const pooled = Boolean(env.DB_POOLER_URL) || /:6543\//.test(url);
  const size = Number(env.DB_POOL_SIZE ?? "10");
  return postgres(url, {
    prepare: !pooled,
    max: Number.isInteger(size) && size > 0 && size <= 100 ? size : 10,
    idle_timeout: 30,
    connect_timeout: 10,
    connection: { application_name: applicationName },
    onnotice: () => {},
  });
}
