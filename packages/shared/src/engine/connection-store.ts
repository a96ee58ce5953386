import type { Sql } from "../db/create-sql.ts";

/** A connection as the lease and claim functions return it (ciphertext only). */
export interface ConnectionRow {
  id: string;
  user_id: string;
  provider: string;
  account_id: string;
  access_token: string | null;
  refresh_token: string | null;
  encryption_key_id: string | null;
  token_type: string;
  scopes: string[];
  token_expires_at: Date | null;
  refresh_token_expires_at: Date | null;
  status: string;
  consecutive_failures: number;
  /** int8 arrives as a string: compared, never computed with. */
  version: string;
  metadata: Record<string, unknown>;
  lease_expires_at: Date | null;
  /** Read by readConnection only (the lease and claim functions do not return them). */
  next_attempt_at?: Date | null;
  last_sync_status?: string | null;
  /** A refreshed token set waits in pending_token_sets (acquireLease and the refresh claim). */
  has_pending?: boolean;
}

const COLUMNS = `id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_type, scopes,
  token_expires_at, refresh_token_expires_at, status, consecutive_failures, version, metadata, lease_expires_at,
  next_attempt_at, last_sync_status`;

/**
 * What get-token reads to serve a token: the columns its decisions use, without the refresh token's
 * ciphertext (only whether there is one), the metadata or the lease. A refresh works on the row its lease
 * returns, never on this one.
 */
export type FoundConnection = Pick<
  ConnectionRow,
  | "id" | "provider" | "account_id" | "access_token" | "encryption_key_id" | "token_type" | "scopes" | "token_expires_at"
  | "status" | "consecutive_failures" | "version" | "next_attempt_at" | "last_sync_status"
> & {
  has_refresh_token: boolean;
  /** A refreshed token set waits in pending_token_sets (a primary-key probe of a table empty unless a save failed). */
  has_pending: boolean;
};

// Whole statements, not fragments: the hot path neither builds nor hashes query text per call.
const FOUND = `select id, provider, account_id, access_token, encryption_key_id, token_type, scopes, token_expires_at, status,
  consecutive_failures, version, next_attempt_at, last_sync_status, refresh_token is not null as has_refresh_token,
  exists (select 1 from public.pending_token_sets as p where p.connection_id = platform_connections.id) as has_pending
  from public.platform_connections`;
const FOUND_BY_ACCOUNT = `${FOUND} where user_id = $1 and provider = $2 and account_id = $3`;
// Two rows read, so that several accounts can be told apart.
const FOUND_BY_PROVIDER = `${FOUND} where user_id = $1 and provider = $2 and status <> 'disconnected' limit 2`;

/**
 * The user's live connection to a provider: one read through the unique (user, provider, account) index,
 * or, without an account, the status index.
 */
export async function findUserConnection(
  sql: Sql, userId: string, provider: string, account: string | undefined,
): Promise<FoundConnection | "ambiguous" | null> {
  const rows = account !== undefined
    ? await sql.unsafe<FoundConnection[]>(FOUND_BY_ACCOUNT, [userId, provider, account], { prepare: true })
    : await sql.unsafe<FoundConnection[]>(FOUND_BY_PROVIDER, [userId, provider], { prepare: true });
  if (rows.length === 0) return null;
  if (rows.length > 1) return "ambiguous";
  return rows[0]!;
}

/** The read path's view of a full row (one read again after a parked set was applied by someone else). */
export function foundOf(row: ConnectionRow, hasPending: boolean): FoundConnection {
  return {
    id: row.id, provider: row.provider, account_id: row.account_id, access_token: row.access_token,
    encryption_key_id: row.encryption_key_id, token_type: row.token_type, scopes: row.scopes, token_expires_at: row.token_expires_at,
    status: row.status, consecutive_failures: row.consecutive_failures, version: row.version,
    next_attempt_at: row.next_attempt_at ?? null, last_sync_status: row.last_sync_status ?? null,
    has_refresh_token: row.refresh_token !== null, has_pending: hasPending,
  };
}

export async function readConnection(sql: Sql, id: string): Promise<ConnectionRow | null> {
  const [row] = await sql<ConnectionRow[]>`select ${sql.unsafe(COLUMNS)} from public.platform_connections where id = ${id}`;
  return row ?? null;
}

/** Takes (or renews) the lease; the row says whether a parked set waits (`has_pending`), asked after the lease. */
export async function acquireLease(sql: Sql, id: string, owner: string, seconds: number): Promise<ConnectionRow | null> {
  const [row] = await sql<ConnectionRow[]>`
    select l.*, provider_tokens.connection_has_parked(l.id) as has_pending from provider_tokens.acquire_refresh_lease(${id}, ${owner}, ${seconds}) as l`;
  return row ?? null;
}

export async function releaseLease(sql: Sql, id: string, owner: string): Promise<void> {
  await sql`select provider_tokens.release_refresh_lease(${id}, ${owner})`;
}

export async function claimDue(sql: Sql, batch: number, leaseSeconds: number, owner: string, windowSeconds: number): Promise<ConnectionRow[]> {
  return sql<ConnectionRow[]>`select * from provider_tokens.claim_due_connections(${batch}, ${leaseSeconds}, ${owner}, ${windowSeconds})`;
}

export async function claimDueValidations(sql: Sql, batch: number, leaseSeconds: number, owner: string): Promise<ConnectionRow[]> {
  return sql<ConnectionRow[]>`select * from provider_tokens.claim_due_validations(${batch}, ${leaseSeconds}, ${owner})`;
}

export interface SaveTokens {
  id: string;
  owner: string;
  expectedVersion: string;
  accessToken: string;
  refreshToken: string | null;
  keyId: string;
  expiresAt: Date;
  refreshTokenExpiresAt: Date | null;
  scopes: readonly string[];
  tokenType: string;
}

/** What a successful save also writes, in the same statement (never at the cost of the save). */
export interface SaveExtras {
  /** The refresh's success audit row, with this duration in ms; none when absent. */
  logDurationMs?: number | null;
  /** The keep-alive date, applied as provider_tokens.schedule_keepalive would; none when absent. */
  keepAliveAt?: Date | null;
}

/**
 * Compare-and-set on (lease owner, version); false when another writer got there first. On a save, the same
 * statement writes the audit row and the keep-alive date of `extras` (the function guards both, so neither can
 * fail the save). Scopes travel as JSON text: postgres.js serialises a `sql.array` wrongly on a connection that
 * has not fetched its array types yet, and this must never fail after the provider has rotated the refresh token.
 */
export async function saveRefreshed(sql: Sql, t: SaveTokens, extras: SaveExtras = {}): Promise<boolean> {
  const [row] = await sql<{ saved: boolean }[]>`
    select provider_tokens.save_refreshed_tokens(
      ${t.id}, ${t.owner}, ${t.expectedVersion}, ${t.accessToken}, ${t.refreshToken}, ${t.keyId},
      ${t.expiresAt}, ${t.refreshTokenExpiresAt},
      array(select jsonb_array_elements_text(${JSON.stringify(t.scopes)}::text::jsonb)), ${t.tokenType}, null,
      ${auditDurationMs(extras.logDurationMs)}, ${validDate(extras.keepAliveAt)}
    ) as saved`;
  return row?.saved === true;
}

/**
 * A duration the integer parameter accepts, or null. The parameters are bound before the function's guards
 * run: a fraction, NaN or an overflow there would fail the whole save, not only its audit row.
 */
export function auditDurationMs(ms: number | null | undefined): number | null {
  return typeof ms === "number" && Number.isFinite(ms) ? Math.min(Math.max(0, Math.round(ms)), 2_147_483_647) : null;
}

/** The date, or null when absent or invalid (an invalid Date cannot be serialised: the save would throw). */
function validDate(d: Date | null | undefined): Date | null {
  return d instanceof Date && Number.isFinite(d.getTime()) ? d : null;
}

/**
 * Parks a refreshed set whose save keeps failing (provider_tokens.park_refreshed_tokens): one insert into
 * pending_token_sets, nothing written to the connection row. False when the row moved on (version,
 * disconnected, gone).
 */
export async function parkRefreshed(sql: Sql, t: Omit<SaveTokens, "owner" | "refreshToken"> & { refreshToken: string }): Promise<boolean> {
  const [row] = await sql<{ parked: boolean }[]>`
    select provider_tokens.park_refreshed_tokens(
      ${t.id}, ${t.expectedVersion}, ${t.accessToken}, ${t.refreshToken}, ${t.keyId}, ${t.expiresAt}, ${t.refreshTokenExpiresAt},
      array(select jsonb_array_elements_text(${JSON.stringify(t.scopes)}::text::jsonb)), ${t.tokenType}
    ) as parked`;
  return row?.parked === true;
}

export type ApplyParkedResult = "applied" | "stale" | "not_owner" | "none";

/** Copies a parked set into its connection under the caller's lease (provider_tokens.apply_parked_tokens). */
export async function applyParked(sql: Sql, id: string, owner: string): Promise<ApplyParkedResult> {
  const [row] = await sql<{ result: ApplyParkedResult }[]>`select provider_tokens.apply_parked_tokens(${id}, ${owner}) as result`;
  return row?.result ?? "none";
}

export interface ParkedSet {
  access_token: string;
  refresh_token: string;
  encryption_key_id: string;
  token_type: string;
  scopes: string[];
  token_expires_at: Date;
  refresh_token_expires_at: Date | null;
  based_on_version: string;
}

export async function readParked(sql: Sql, id: string): Promise<ParkedSet | null> {
  const [row] = await sql<ParkedSet[]>`
    select access_token, refresh_token, encryption_key_id, token_type, scopes, token_expires_at, refresh_token_expires_at, based_on_version
    from public.pending_token_sets where connection_id = ${id}`;
  return row ?? null;
}

export async function recordFailure(
  sql: Sql, id: string, owner: string, code: string, message: string, retryAt: Date | null, newStatus: string | null,
): Promise<boolean> {
  const [row] = await sql<{ ok: boolean | null }[]>`
    select provider_tokens.record_refresh_failure(${id}, ${owner}, ${code}, ${message}, ${retryAt}, ${newStatus}) as ok`;
  return row?.ok === true;
}

export async function recordValidated(sql: Sql, id: string, owner: string, nextAttemptAt: Date): Promise<boolean> {
  const [row] = await sql<{ ok: boolean | null }[]>`select provider_tokens.record_token_validated(${id}, ${owner}, ${nextAttemptAt}) as ok`;
  return row?.ok === true;
}

export async function deferConnection(sql: Sql, id: string, owner: string, nextAttemptAt: Date): Promise<void> {
  await sql`select provider_tokens.defer_connection(${id}, ${owner}, ${nextAttemptAt})`;
}

export async function logEvent(
  sql: Sql,
  e: { connectionId: string | null; action: string; outcome: string; httpStatus?: number | null; errorCode?: string | null; durationMs?: number | null; userId?: string | null; provider?: string | null },
): Promise<void> {
  await sql`select provider_tokens.log_token_event(${e.connectionId}, ${e.action}, ${e.outcome}, ${e.httpStatus ?? null},
    ${e.errorCode ?? null}, ${e.durationMs ?? null}, ${e.userId ?? null}, ${e.provider ?? null})`;
}
