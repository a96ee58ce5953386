/** Puts connections straight into the database, encrypted as the functions encrypt them. */
import type postgres from "postgres";
import { parseKeyRing, type KeyRing } from "../../packages/shared/src/crypto/key-ring.ts";
import { readFunctionsDotEnv } from "../../scripts/stack/config.ts";
import { encryptConnectionTokens } from "../../packages/shared/src/crypto/connection-tokens.ts";
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
 * refresh, and back on (`true`) afterwards. Turning it off also waits for a tick that fired just before to
 * play out: its pg_net requests are sent after the tick commits and its runs go on after answering 202, so
 * without the wait they could claim the rows the test seeds next.
 */
export async function setScheduleActive(sql: postgres.Sql, active: boolean): Promise<void> {
  // cron.alter_job, as on Supabase, where `postgres` may not write cron.job itself.
  await sql`select cron.alter_job(jobid, active := ${active}) from cron.job where jobname = 'refresh-expiring-tokens'`;
  if (!active) await scheduledRunsSettled(sql);
}

/** A run that died never finishes; the platform would have cut it by then. */
const RUN_LIMIT = "65 seconds";

async function scheduledRunsSettled(sql: postgres.Sql, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    // The last tick is settled when each of its requests has started a run (one per partition) and every
    // recent run has finished; a tick older than a run's limit is over whatever became of it.
    const [state] = await sql<{ settled: boolean }[]>`
      with tick as (
        select max(d.start_time) as at
        from cron.job_run_details as d join cron.job as j on j.jobid = d.jobid
        where j.jobname = 'refresh-expiring-tokens'
      )
      select
        not exists (select 1 from net.http_request_queue as q where q.url like '%/functions/v1/refresh-expiring%')
        and (
          (select at from tick) is null or (select at from tick) < now() - ${RUN_LIMIT}::interval
          or (select count(*) from public.refresh_runs as r where r.trigger = 'schedule' and r.started_at >= (select at from tick))
            >= provider_tokens.refresh_partitions()
        )
        and not exists (
          select 1 from public.refresh_runs as r
          where r.finished_at is null and r.started_at > now() - ${RUN_LIMIT}::interval
        ) as settled`;
    if (state!.settled) return;
    if (Date.now() > end) throw new Error("the scheduled refresh runs did not settle");
    await new Promise((r) => setTimeout(r, 200));
  }
}
