import type { Sql } from "../db/create-sql.ts";

/**
 * Every table holding ciphertext, with the key-id column that names its key: what a key rotation must move
 * and what `token-health` and the CLI's `status` count before a key can be retired.
 */
export const ENCRYPTED_TABLES = [
  "platform_connections",
  "pending_token_sets",
  "oauth_states",
  "oauth_parked_grants",
] as const;

export type EncryptedTable = (typeof ENCRYPTED_TABLES)[number];

/** Rows each key id still protects: `{ k1: { total, tables: { platform_connections: 3, ... } } }`. */
export type KeyUsage = Record<string, { total: number; tables: Partial<Record<EncryptedTable, number>> }>;

/**
 * Counts the rows under each key id in every encrypted table (rows without ciphertext are not counted);
 * platform_connections' through its counters (public.connection_counts), the other tables hold few rows.
 */
export async function keyUsage(sql: Sql): Promise<KeyUsage> {
  const rows = await sql<{ table_name: EncryptedTable; key_id: string; n: number }[]>`
    select 'platform_connections' as table_name, encryption_key_id as key_id, sum(n)::int as n
      from public.connection_counts where encryption_key_id <> '' group by 2 having sum(n) <> 0
    union all
    select 'pending_token_sets', encryption_key_id, count(*)::int from public.pending_token_sets group by 2
    union all
    select 'oauth_states', encryption_key_id, count(*)::int
      from public.oauth_states where encryption_key_id is not null group by 2
    union all
    select 'oauth_parked_grants', encryption_key_id, count(*)::int from public.oauth_parked_grants group by 2`;
  const usage: KeyUsage = {};
  for (const r of rows) {
    const entry = (usage[r.key_id] ??= { total: 0, tables: {} });
    entry.tables[r.table_name] = (entry.tables[r.table_name] ?? 0) + r.n;
    entry.total += r.n;
  }
  return usage;
}

/**
 * The key ids of a `TOKEN_ENCRYPTION_KEYS` value, primary first, read without importing any key (for reports
 * that must not fail when the ring itself is malformed: they then list no ids).
 */
export function keyIdsOf(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(",").map((e) => e.split(":")[0]!.trim()).filter((id) => /^[A-Za-z0-9_-]{1,32}$/.test(id));
}
