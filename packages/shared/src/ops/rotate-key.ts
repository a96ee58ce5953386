import type { AadContext } from "../crypto/aad.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { reencryptSecret } from "../crypto/reencrypt-secret.ts";
import { CONNECTIONS_TABLE } from "../crypto/connection-tokens.ts";
import type { Sql } from "../db/create-sql.ts";
import { acquireLease, releaseLease } from "../engine/connection-store.ts";
import { CryptoError } from "../crypto/crypto-error.ts";
import { keyUsage, type EncryptedTable } from "./key-usage.ts";

/** What one pass of {@link rotateKey} did. */
export interface RotationProgress {
  /** Rows still on an older key when the run started (all tables). */
  total: number;
  /** Rows moved to the primary key so far. */
  rotated: number;
  /** Rows another writer held or changed meanwhile; the next pass picks them up again. */
  busy: number;
  /** Per table, rows moved. */
  tables: Record<EncryptedTable, number>;
}

export interface RotateKeyOptions {
  /** Rows read per query (default 500). */
  batchSize?: number;
  /** Rows re-encrypted at once (default 8): each holds one database connection briefly. */
  concurrency?: number;
  /** Lease a connection is held for while its tokens are rewritten (default 30 s; the write takes ms). */
  leaseSeconds?: number;
  /** Stops between rows when aborted (Ctrl-C); what was written stays written. */
  signal?: AbortSignal;
  onProgress?: (p: Readonly<RotationProgress>) => void;
  /** How long to wait for a busy row before trying it again (default 200 ms). */
  busyPauseMs?: number;
  /** Passes over busy rows before giving up on them (default 50). */
  maxPasses?: number;
}

const aadOf = (table: string, column: string, rowId: string): AadContext => ({ table, column, rowId: rowId.toLowerCase() });

/** Rows still on an older key, per table (what a run will move). */
export async function rowsToRotate(sql: Sql, primaryKeyId: string): Promise<Record<EncryptedTable, number>> {
  const [r] = await sql<Record<EncryptedTable, number>[]>`
    select
      (select count(*)::int from public.platform_connections where encryption_key_id is not null and encryption_key_id <> ${primaryKeyId}) as platform_connections,
      (select count(*)::int from public.pending_token_sets where encryption_key_id <> ${primaryKeyId}) as pending_token_sets,
      (select count(*)::int from public.oauth_states where encryption_key_id is not null and encryption_key_id <> ${primaryKeyId}) as oauth_states,
      (select count(*)::int from public.oauth_parked_grants where encryption_key_id <> ${primaryKeyId}) as oauth_parked_grants`;
  return r!;
}

/**
 * Re-encrypts every row not on the ring's primary key under it: connection tokens (and a connection's parked
 * token set) each under the connection's refresh lease, so a rotation never races a refresh, and written with
 * compare-and-set on the row's version; PKCE verifiers and parked grants with compare-and-set on the old
 * ciphertext. Idempotent by construction: it only ever picks rows still on an older key, so an interrupted run
 * is finished by running it again. Every ciphertext stays bound to its row and column (same AAD).
 *
 * @throws CryptoError `key_unavailable` when a row's key is not in the ring (add the old key back as a
 *   secondary key: `k2:<new>,k1:<old>`).
 */
export async function rotateKey(sql: Sql, ring: KeyRing, options: RotateKeyOptions = {}): Promise<RotationProgress> {
  const primary = ring.primaryKeyId;
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 8;
  const leaseSeconds = options.leaseSeconds ?? 30;
  // Refuse before writing anything when a row's key is not in the ring: that row could never be moved.
  const missing = Object.keys(await keyUsage(sql)).filter((id) => !ring.has(id)).sort();
  if (missing.length > 0) {
    throw new CryptoError("key_unavailable", `rows are encrypted with key id "${missing[0]}", which the key ring does not hold`, missing[0]);
  }
  const counts = await rowsToRotate(sql, primary);
  const progress: RotationProgress = {
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    rotated: 0,
    busy: 0,
    tables: { platform_connections: 0, pending_token_sets: 0, oauth_states: 0, oauth_parked_grants: 0 },
  };
  const aborted = () => options.signal?.aborted === true;
  const report = () => options.onProgress?.(progress);
  report();

  /** Runs `step` over every id `page` returns, in keyset order, until a page comes back empty. */
  async function sweep(page: (after: string) => Promise<string[]>, step: (id: string) => Promise<boolean>, table: EncryptedTable): Promise<number> {
    let after = "00000000-0000-0000-0000-000000000000";
    let busy = 0;
    for (;;) {
      if (aborted()) return busy;
      const ids = await page(after);
      if (ids.length === 0) return busy;
      after = ids[ids.length - 1]!;
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, async () => {
        while (next < ids.length && !aborted()) {
          const id = ids[next++]!;
          if (await step(id)) {
            progress.rotated += 1;
            progress.tables[table] += 1;
          } else {
            busy += 1;
          }
          report();
        }
      }));
    }
  }

  async function connection(id: string): Promise<boolean> {
    const owner = crypto.randomUUID();
    const row = await acquireLease(sql, id, owner, leaseSeconds);
    if (!row) return false;
    let released = false;
    try {
      if (row.encryption_key_id === null || row.encryption_key_id === primary) return true;
      const access = row.access_token === null ? null : await reencryptSecret(ring, row.access_token, aadOf(CONNECTIONS_TABLE, "access_token", row.id));
      const refresh = row.refresh_token === null ? null : await reencryptSecret(ring, row.refresh_token, aadOf(CONNECTIONS_TABLE, "refresh_token", row.id));
      // Written and released in one statement, only if this lease still holds and nobody changed the tokens.
      const done = await sql`
        update public.platform_connections
        set access_token = ${access}, refresh_token = ${refresh}, encryption_key_id = ${primary},
            lease_owner = null, lease_expires_at = null
        where id = ${row.id} and lease_owner = ${owner} and version = ${row.version}`;
      released = done.count === 1;
      return released;
    } finally {
      if (!released) await releaseLease(sql, id, owner).catch(() => {});
    }
  }

  async function pending(connectionId: string): Promise<boolean> {
    const owner = crypto.randomUUID();
    const row = await acquireLease(sql, connectionId, owner, leaseSeconds);
    if (!row) return false;
    try {
      const [set] = await sql<{ access_token: string; refresh_token: string; encryption_key_id: string }[]>`
        select access_token, refresh_token, encryption_key_id from public.pending_token_sets where connection_id = ${connectionId}`;
      if (!set || set.encryption_key_id === primary) return true;
      // A parked set is bound to its connection's row, as the engine encrypts it.
      const access = await reencryptSecret(ring, set.access_token, aadOf(CONNECTIONS_TABLE, "access_token", connectionId));
      const refresh = await reencryptSecret(ring, set.refresh_token, aadOf(CONNECTIONS_TABLE, "refresh_token", connectionId));
      const done = await sql`
        update public.pending_token_sets set access_token = ${access}, refresh_token = ${refresh}, encryption_key_id = ${primary}
        where connection_id = ${connectionId} and access_token = ${set.access_token}`;
      return done.count === 1;
    } finally {
      await releaseLease(sql, connectionId, owner).catch(() => {});
    }
  }

  async function verifier(id: string): Promise<boolean> {
    const [row] = await sql<{ code_verifier: string | null; encryption_key_id: string | null }[]>`
      select code_verifier, encryption_key_id from public.oauth_states where id = ${id}`;
    if (!row || row.code_verifier === null || row.encryption_key_id === primary) return true;
    const next = await reencryptSecret(ring, row.code_verifier, aadOf("public.oauth_states", "pkce_verifier", id));
    const done = await sql`
      update public.oauth_states set code_verifier = ${next}, encryption_key_id = ${primary}
      where id = ${id} and code_verifier = ${row.code_verifier}`;
    return done.count === 1;
  }

  async function parked(id: string): Promise<boolean> {
    const [row] = await sql<{ sealed_grant: string; encryption_key_id: string }[]>`
      select sealed_grant, encryption_key_id from public.oauth_parked_grants where id = ${id}`;
    if (!row || row.encryption_key_id === primary) return true;
    const next = await reencryptSecret(ring, row.sealed_grant, aadOf("public.oauth_parked_grants", "sealed_grant", id));
    const done = await sql`
      update public.oauth_parked_grants set sealed_grant = ${next}, encryption_key_id = ${primary}
      where id = ${id} and sealed_grant = ${row.sealed_grant}`;
    return done.count === 1;
  }

  const pages = {
    platform_connections: (after: string) => sql<{ id: string }[]>`
      select id from public.platform_connections
      where encryption_key_id is not null and encryption_key_id <> ${primary} and id > ${after}
      order by id limit ${batchSize}`,
    pending_token_sets: (after: string) => sql<{ id: string }[]>`
      select connection_id as id from public.pending_token_sets
      where encryption_key_id <> ${primary} and connection_id > ${after} order by connection_id limit ${batchSize}`,
    oauth_states: (after: string) => sql<{ id: string }[]>`
      select id from public.oauth_states
      where encryption_key_id is not null and encryption_key_id <> ${primary} and id > ${after} order by id limit ${batchSize}`,
    oauth_parked_grants: (after: string) => sql<{ id: string }[]>`
      select id from public.oauth_parked_grants
      where encryption_key_id <> ${primary} and id > ${after} order by id limit ${batchSize}`,
  };
  const steps = { platform_connections: connection, pending_token_sets: pending, oauth_states: verifier, oauth_parked_grants: parked };

  const maxPasses = options.maxPasses ?? 50;
  for (let pass = 0; pass < maxPasses && !aborted(); pass++) {
    let busy = 0;
    for (const table of Object.keys(steps) as EncryptedTable[]) {
      busy += await sweep(async (after) => (await pages[table](after)).map((r) => r.id), steps[table], table);
    }
    progress.busy = busy;
    report();
    if (busy === 0) break;
    // Rows leased by a refresh in flight: the refresh writes them under the primary key anyway; look again.
    await new Promise((r) => setTimeout(r, options.busyPauseMs ?? 200));
  }
  return progress;
}
