import type { TransactionSql } from "postgres";
import type { Sql } from "./create-sql.ts";

/**
 * Runs queries as the signed-in user, the way PostgREST does: role `authenticated` and the user's claims
 * in `request.jwt.claims`, both local to one transaction (so it works behind a transaction-mode pooler).
 * Row level security then decides what the user sees, not the function's own filters.
 */
export async function asUser<T>(sql: Sql, userId: string, run: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const claims = JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" });
  return (await sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
    return run(tx);
  })) as T;
}
