/** Puts connections straight into the database, encrypted as the functions encrypt them. */
import type postgres from "postgres";
import { parseKeyRing, type KeyRing } from "../../packages/shared/src/crypto/key-ring.ts";
import { readFunctionsDotEnv } from "../../scripts/stack/config.ts";
import { encryptConnectionTokens } from "../../packages/shared/src/db/connection-tokens.ts";
import { loadKeys } from "../../scripts/stack/keys.ts";
import { emulator } from "./emulator.ts";

let ring: Promise<KeyRing> | undefined;
/** The key ring the functions encrypt with (supabase/functions/.env, else the stack's generated one). */
export function functionKeyRing(): Promise<KeyRing> {
  return (ring ??= (async () => parseKeyRing(readFunctionsDotEnv().TOKEN_ENCRYPTION_KEYS ?? (await loadKeys()).tokenEncryptionKeys))());
}

export interface Seeded {
  id: string;
  accessToken: string;
  refreshToken: string | undefined;
}

export async function seedConnection(
  sql: postgres.Sql,
  c: {
    userId: string;
    provider: string;
    account: string;
    /** Seconds from now until the access token expires (negative: already expired; null: never). */
    expiresIn: number | null;
    metadata?: Record<string, unknown>;
    withRefreshToken?: boolean;
    nextAttemptAt?: Date | null;
  },
): Promise<Seeded> {
  const grant = await emulator.grant(c.provider, c.account);
  const ring = await functionKeyRing();
  const id = crypto.randomUUID();
  const refreshToken = c.withRefreshToken === false ? undefined : grant.refresh_token;
  const enc = await encryptConnectionTokens(ring, id, { accessToken: grant.access_token, refreshToken });
  const expiresAt = c.expiresIn === null ? null : new Date(Date.now() + c.expiresIn * 1000);
  await sql`
    insert into public.platform_connections
      (id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at, scopes, metadata, next_attempt_at)
    values (${id}, ${c.userId}, ${c.provider}, ${c.account}, ${enc.accessToken}, ${enc.refreshToken}, ${enc.keyId},
      ${expiresAt}, ${sql.array(["read"])}, ${sql.json((c.metadata ?? {}) as never)}, ${c.nextAttemptAt ?? null})`;
  return { id, accessToken: grant.access_token, refreshToken };
}

/**
 * Turns the scheduled refresh job off (`false`) for the duration of a test file, so only the test's own calls
 * refresh, and back on (`true`) afterwards.
 */
export async function setScheduleActive(sql: postgres.Sql, active: boolean): Promise<void> {
  // cron.alter_job, as on Supabase, where `postgres` may not write cron.job itself.
  await sql`select cron.alter_job(jobid, active := ${active}) from cron.job where jobname = 'refresh-expiring-tokens'`;
}
