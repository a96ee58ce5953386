import type { Sql } from "../db/create-sql.ts";

export interface ListFilters {
  provider?: string | undefined;
  status?: string | undefined;
  /** The user's email or id. */
  user?: string | undefined;
  limit?: number | undefined;
}

/** A connection as the operator sees it: never a token, only what describes its state. */
export interface ListedConnection {
  id: string;
  email: string | null;
  user_id: string;
  provider: string;
  account: string;
  status: string;
  expires_at: Date | null;
  last_refreshed_at: Date | null;
  last_sync_status: string | null;
  consecutive_failures: number;
  next_attempt_at: Date | null;
  key_id: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Connections matching the filters, newest first; the token columns are never selected. */
export async function listConnections(sql: Sql, filters: ListFilters = {}): Promise<ListedConnection[]> {
  const user = filters.user?.trim();
  return sql<ListedConnection[]>`
    select c.id, u.email, c.user_id, c.provider, c.account_id as account, c.status, c.token_expires_at as expires_at,
           c.last_refreshed_at, c.last_sync_status, c.consecutive_failures, c.next_attempt_at, c.encryption_key_id as key_id
    from public.platform_connections c left join auth.users u on u.id = c.user_id
    where true
      ${filters.provider ? sql`and c.provider = ${filters.provider}` : sql``}
      ${filters.status ? sql`and c.status = ${filters.status}` : sql``}
      ${user ? (UUID.test(user) ? sql`and c.user_id = ${user}` : sql`and lower(u.email) = ${user.toLowerCase()}`) : sql``}
    order by c.connected_at desc, c.id
    limit ${filters.limit ?? 1000}`;
}
