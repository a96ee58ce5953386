import type { KeyRing } from "../crypto/key-ring.ts";
import type { Sql } from "../db/create-sql.ts";
import { parseWebhookFormat, parseWebhookUrl, WebhookInputError } from "./webhook-endpoint-input.ts";
import { decryptWebhookSecret, encryptWebhookSecret, webhookSecretKey } from "./webhook-secret.ts";

/** The variables that describe the environment's endpoint. */
export interface WebhookEnv {
  /** An endpoint every event goes to. */
  WEBHOOK_URL?: string;
  /** Its Standard Webhooks secret, `whsec_<base64>`; required with WEBHOOK_URL. */
  WEBHOOK_SECRET?: string;
  /** `standard` (default) or `slack`. */
  WEBHOOK_FORMAT?: string;
}

/**
 * Makes the endpoint of WEBHOOK_URL + WEBHOOK_SECRET exist, idempotently (deliver-webhooks calls it on every
 * run): nothing changes while URL, secret and format stay the same; a change rewrites the row and enables it
 * again. When the row is created, the events of the last 24 hours are queued for it too. Returns its id, or
 * null when WEBHOOK_URL is unset.
 *
 * @throws WebhookInputError naming WEBHOOK_URL, WEBHOOK_SECRET or WEBHOOK_FORMAT when one is unusable.
 */
export async function ensureEnvironmentEndpoint(sql: Sql, ring: KeyRing, env: WebhookEnv): Promise<string | null> {
  if (!env.WEBHOOK_URL) return null;
  const url = parseWebhookUrl(env.WEBHOOK_URL, "WEBHOOK_URL");
  const format = parseWebhookFormat(env.WEBHOOK_FORMAT || undefined, "WEBHOOK_FORMAT");
  const secret = env.WEBHOOK_SECRET ?? "";
  try {
    webhookSecretKey(secret);
  } catch {
    throw new WebhookInputError("WEBHOOK_SECRET", "WEBHOOK_SECRET must be whsec_ followed by base64 of 16 to 64 bytes");
  }
  const [row] = await sql<{ id: string; url: string; format: string; secret: string }[]>`
    select id, url, format, secret from public.webhook_endpoints where source = 'environment'`;
  if (row) {
    const same = row.url === url && row.format === format &&
      (await decryptWebhookSecret(ring, row.id, row.secret).then((s) => s === secret, () => false));
    if (same) return row.id;
    const envelope = await encryptWebhookSecret(ring, row.id, secret);
    await sql`
      update public.webhook_endpoints
      set url = ${url}, format = ${format}, secret = ${envelope}, encryption_key_id = ${ring.primaryKeyId},
          enabled = true, disabled_reason = null, disabled_at = null, failing_since = null, consecutive_failures = 0
      where id = ${row.id}`;
    return row.id;
  }
  const id = crypto.randomUUID();
  const envelope = await encryptWebhookSecret(ring, id, secret);
  return sql.begin(async (tx) => {
    const inserted = await tx`
      insert into public.webhook_endpoints (id, url, secret, encryption_key_id, format, source)
      values (${id}, ${url}, ${envelope}, ${ring.primaryKeyId}, ${format}, 'environment')
      on conflict (source) where source = 'environment' do nothing
      returning id`;
    if (inserted.length === 0) {
      const [other] = await tx<{ id: string }[]>`select id from public.webhook_endpoints where source = 'environment'`;
      return other!.id;
    }
    await tx`
      insert into public.webhook_deliveries (event_id, endpoint_id)
      select ev.id, ${id} from public.webhook_events as ev
      where ev.created_at > now() - interval '24 hours' and ev.type <> 'webhook.test'`;
    return id;
  }) as Promise<string>;
}
