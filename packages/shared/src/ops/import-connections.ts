import { connectionMetadata } from "../providers/provider-hooks.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { decryptConnectionToken, encryptConnectionTokens } from "../crypto/connection-tokens.ts";
import type { Sql } from "../db/create-sql.ts";
import { acquireLease, releaseLease } from "../engine/connection-store.ts";
import type { ImportLineError, ImportRecord } from "./import-records.ts";

export interface ImportResult {
  /** New connections written. */
  inserted: number;
  /** Existing connections whose tokens, expiry or scopes changed. */
  updated: number;
  /** Existing connections already holding exactly these values: not written (same version). */
  unchanged: number;
  /** Lines refused (by number); with `skipInvalid` the rest was imported, otherwise nothing was. */
  errors: ImportLineError[];
  /** Whether anything was written. */
  imported: boolean;
}

export interface ImportOptions {
  /** Import the valid lines even when some are bad (default: import nothing then). */
  skipInvalid?: boolean;
  /** Lines already refused while parsing (they count as bad for the all-or-nothing rule). */
  parseErrors?: ImportLineError[];
  /** Rows per insert statement (default 500). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

interface Existing {
  id: string;
  user_id: string;
  provider: string;
  account_id: string;
  access_token: string | null;
  refresh_token: string | null;
  token_expires_at: Date | null;
  scopes: string[];
  status: string;
}

const same = (a: Date | null, b: Date | null) => (a === null ? b === null : b !== null && a.getTime() === b.getTime());

/**
 * Imports validated records into `platform_connections`: users resolved by id or email (a line naming no
 * existing user is a bad line), tokens encrypted with the ring's primary key and bound to their row and column
 * as the engine does. Every line is checked before anything is written; new rows go in one transaction.
 * Idempotent: a connection that already holds the same tokens, expiry and scopes is not written at all, and one
 * that differs is updated under its refresh lease (so an import never races a refresh).
 */
export async function importConnections(sql: Sql, ring: KeyRing, records: readonly ImportRecord[], options: ImportOptions = {}): Promise<ImportResult> {
  const errors: ImportLineError[] = [...(options.parseErrors ?? [])];
  const emails = [...new Set(records.flatMap((r) => (r.email ? [r.email] : [])))];
  const ids = [...new Set(records.flatMap((r) => (r.userId ? [r.userId] : [])))];
  const byEmail = new Map<string, string>();
  const known = new Set<string>();
  for (let i = 0; i < emails.length; i += 5000) {
    for (const u of await sql<{ id: string; email: string }[]>`select id, lower(email) as email from auth.users where lower(email) = any(${emails.slice(i, i + 5000)})`) byEmail.set(u.email, u.id);
  }
  for (let i = 0; i < ids.length; i += 5000) {
    for (const u of await sql<{ id: string }[]>`select id::text from auth.users where id = any(${ids.slice(i, i + 5000)}::uuid[])`) known.add(u.id);
  }
  const resolved: (ImportRecord & { uid: string })[] = [];
  const seen = new Map<string, number>();
  for (const r of records) {
    const uid = r.userId ?? byEmail.get(r.email!);
    if (uid === undefined || (r.userId !== null && !known.has(r.userId))) {
      errors.push({ line: r.line, message: r.userId !== null ? '"user_id" names no user' : '"email" names no user' });
      continue;
    }
    const key = `${uid}\u0000${r.provider}\u0000${r.account}`;
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ line: r.line, message: `repeats the connection of line ${first} (same user, provider and account)` });
      continue;
    }
    seen.set(key, r.line);
    resolved.push({ ...r, uid });
  }
  errors.sort((a, b) => a.line - b.line);
  if (errors.length > 0 && !options.skipInvalid) return { inserted: 0, updated: 0, unchanged: 0, errors, imported: false };

  const existing = new Map<string, Existing>();
  const batch = options.batchSize ?? 500;
  for (let i = 0; i < resolved.length; i += 2000) {
    const part = resolved.slice(i, i + 2000);
    const rows = await sql<Existing[]>`
      select c.id, c.user_id::text, c.provider, c.account_id, c.access_token, c.refresh_token, c.token_expires_at, c.scopes, c.status
      from public.platform_connections c
      join unnest(${part.map((r) => r.uid)}::uuid[], ${part.map((r) => r.provider)}::text[], ${part.map((r) => r.account)}::text[])
        as k(user_id, provider, account_id)
        on c.user_id = k.user_id and c.provider = k.provider and c.account_id = k.account_id`;
    for (const row of rows) existing.set(`${row.user_id}\u0000${row.provider}\u0000${row.account_id}`, row);
  }

  const result: ImportResult = { inserted: 0, updated: 0, unchanged: 0, errors, imported: false };
  const fresh: (ImportRecord & { uid: string })[] = [];
  const changed: { record: ImportRecord & { uid: string }; row: Existing }[] = [];
  for (const r of resolved) {
    const row = existing.get(`${r.uid}\u0000${r.provider}\u0000${r.account}`);
    if (!row) { fresh.push(r); continue; }
    if (await holdsSame(ring, row, r)) result.unchanged += 1;
    else changed.push({ record: r, row });
  }
  let done = result.unchanged;
  options.onProgress?.(done, resolved.length);

  await sql.begin(async (tx) => {
    for (let i = 0; i < fresh.length; i += batch) {
      const part = fresh.slice(i, i + batch);
      const values = await Promise.all(part.map(async (r) => {
        const id = crypto.randomUUID();
        const enc = await encryptConnectionTokens(ring, id, { accessToken: r.accessToken, refreshToken: r.refreshToken ?? undefined });
        return {
          id, user_id: r.uid, provider: r.provider, account_id: r.account, access_token: enc.accessToken, refresh_token: enc.refreshToken,
          encryption_key_id: enc.keyId, token_expires_at: r.expiresAt, scopes: r.scopes, metadata: connectionMetadata(r.provider, r.account),
          status: "connected",
        };
      }));
      const inserted = await tx`
        insert into public.platform_connections ${tx(values as never, "id", "user_id", "provider", "account_id", "access_token", "refresh_token",
          "encryption_key_id", "token_expires_at", "scopes", "metadata", "status")}
        on conflict (user_id, provider, account_id) do nothing`;
      result.inserted += inserted.count;
      done += part.length;
      options.onProgress?.(done, resolved.length);
    }
  });

  for (const { record: r, row } of changed) {
    const owner = crypto.randomUUID();
    let leased = await acquireLease(sql, row.id, owner, 30);
    for (let tries = 0; !leased && tries < 100; tries++) {
      await new Promise((res) => setTimeout(res, 100));
      leased = await acquireLease(sql, row.id, owner, 30);
    }
    if (!leased) {
      result.errors.push({ line: r.line, message: "the connection stayed busy (a refresh held it); run the import again" });
      continue;
    }
    try {
      const enc = await encryptConnectionTokens(ring, row.id, { accessToken: r.accessToken, refreshToken: r.refreshToken ?? undefined });
      const written = await sql`
        update public.platform_connections
        set access_token = ${enc.accessToken}, refresh_token = ${enc.refreshToken}, encryption_key_id = ${enc.keyId},
            token_expires_at = ${r.expiresAt}, scopes = ${r.scopes}, status = 'connected', last_sync_status = null, last_sync_error = null,
            consecutive_failures = 0, next_attempt_at = null, lease_owner = null, lease_expires_at = null
        where id = ${row.id} and lease_owner = ${owner} and version = ${leased.version}`;
      if (written.count === 1) result.updated += 1;
      else result.errors.push({ line: r.line, message: "the connection changed while importing; run the import again" });
    } finally {
      await releaseLease(sql, row.id, owner).catch(() => {});
    }
    done += 1;
    options.onProgress?.(done, resolved.length);
  }
  result.errors.sort((a, b) => a.line - b.line);
  result.imported = result.inserted + result.updated > 0;
  return result;
}

/** Whether a stored connection already holds exactly what a record says (tokens compared decrypted). */
async function holdsSame(ring: KeyRing, row: Existing, r: ImportRecord): Promise<boolean> {
  if (row.status !== "connected" || !same(row.token_expires_at, r.expiresAt)) return false;
  if (row.scopes.length !== r.scopes.length || row.scopes.some((s, i) => s !== r.scopes[i])) return false;
  if ((row.refresh_token === null) !== (r.refreshToken === null) || row.access_token === null) return false;
  try {
    if ((await decryptConnectionToken(ring, row.id, "access_token", row.access_token)) !== r.accessToken) return false;
    if (row.refresh_token !== null && (await decryptConnectionToken(ring, row.id, "refresh_token", row.refresh_token)) !== r.refreshToken) return false;
  } catch {
    return false;
  }
  return true;
}
