import type { KeyRing } from "../crypto/key-ring.ts";
import type { Sql } from "../db/create-sql.ts";
import { encryptConnectionTokens } from "../crypto/connection-tokens.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { connectionTiming } from "./connection-timing.ts";

/**
 * A freshly authorized account, ready to be stored.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.4
 */
export interface NewConnection {
  readonly userId: string;
  readonly provider: ResolvedProvider;
  readonly accountId: string;
  readonly tokens: TokenSet;
  readonly metadata: Readonly<Record<string, string>>;
  readonly now: Date;
  /** `REFRESH_KEEPALIVE_DAYS` (the engine's keep-alive interval). */
  readonly keepAliveDays?: number | undefined;
}

const ATTEMPTS = 3;

/**
 * Stores a connection's tokens encrypted, one row per (user, provider, account).
 *
 * Each ciphertext is bound to its row id, so the id is settled before encrypting: the existing row's id when
 * the account was connected before (a reconnect after `needs_reauth` or `disconnected` reuses the row), a new
 * one otherwise. The upsert only updates a row whose id is the one encrypted for; when a concurrent callback
 * created the row in between, nothing is written and the attempt starts over with that row's id.
 *
 * A reconnect resets the row: status `connected`, failures 0, the refresh lease cleared (the version bump of
 * the token change makes an in-flight refresh's compare-and-set fail, so it cannot overwrite these tokens),
 * `connected_at` now. Metadata is merged.
 *
 * @returns The row id and whether an existing row was reused.
 */
export async function saveConnection(sql: Sql, ring: KeyRing, input: NewConnection): Promise<{ id: string; reconnected: boolean }> {
  const { userId, provider, accountId, tokens } = input;
  const timing = connectionTiming(provider, tokens, input.now, input.keepAliveDays);
  const scopes = [...tokens.scopes].filter((s) => s.length <= 256).slice(0, 256);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const [existing] = await sql<{ id: string }[]>`
      select id from public.platform_connections
      where user_id = ${userId} and provider = ${provider.id} and account_id = ${accountId}`;
    const id = existing?.id ?? crypto.randomUUID();
    const sealed = await encryptConnectionTokens(ring, id, { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
    const rows = await sql<{ id: string }[]>`
      insert into public.platform_connections as c (
        id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_type, scopes,
        token_expires_at, refresh_token_expires_at, status, last_sync_status, next_attempt_at, metadata
      ) values (
        ${id}, ${userId}, ${provider.id}, ${accountId}, ${sealed.accessToken}, ${sealed.refreshToken}, ${sealed.keyId},
        ${tokens.tokenType.slice(0, 32)}, array(select jsonb_array_elements_text(${JSON.stringify(scopes)}::text::jsonb)),
        ${timing.tokenExpiresAt}, ${timing.refreshTokenExpiresAt}, 'connected', 'ok', ${timing.nextAttemptAt},
        ${JSON.stringify(input.metadata)}::text::jsonb
      )
      on conflict (user_id, provider, account_id) do update set
        access_token = excluded.access_token,
        refresh_token = excluded.refresh_token,
        encryption_key_id = excluded.encryption_key_id,
        token_type = excluded.token_type,
        scopes = excluded.scopes,
        token_expires_at = excluded.token_expires_at,
        refresh_token_expires_at = excluded.refresh_token_expires_at,
        status = 'connected',
        last_sync_status = 'ok',
        last_sync_error = null,
        consecutive_failures = 0,
        next_attempt_at = excluded.next_attempt_at,
        lease_owner = null,
        lease_expires_at = null,
        metadata = c.metadata || excluded.metadata,
        connected_at = now()
      where c.id = excluded.id
      returning c.id`;
    if (rows.length === 1) return { id: rows[0]!.id, reconnected: existing !== undefined };
  }
  throw new Error("the connection row changed under every attempt to save it");
}
