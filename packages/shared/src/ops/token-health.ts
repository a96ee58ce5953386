import type { Sql } from "../db/create-sql.ts";
import { PROVIDER_IDS } from "../providers/provider-ids.ts";
import { resolveIfConfigured } from "../providers/resolve-provider.ts";
import { CONNECTION_STATUSES, type ConnectionStatus } from "../engine/transitions.ts";
import { keyIdsOf, keyUsage, type KeyUsage } from "./key-usage.ts";


export interface ProviderHealth {
  configured: boolean;
  connections: Record<ConnectionStatus, number>;
  /** Connections currently backing off after failed refreshes. */
  retrying: number;
  /** Connections whose access token has lapsed. */
  expired: number;
  /** Refresh failures in the last hour, by error code. */
  failures_last_hour: Record<string, number>;
  /** The provider rejected the client credentials in the last hour: every user of it is affected. */
  client_misconfigured: boolean;
}

/**
 * Counts by provider and status, and the last hour's failures, for dashboards and alerts. The counts come
 * from public.connection_counts (kept by triggers, summed over its slots) and the lapsed tokens from a range
 * scan of platform_connections_expiry_idx: no read of every connection.
 */
export async function tokenHealth(sql: Sql, env: Readonly<Record<string, string | undefined>>) {
  // Independent reads, on separate pool connections at once.
  const [counts, lapsed, failures, keys] = await Promise.all([
    sql<{ provider: string; status: string; n: number; retrying: number }[]>`
      select provider, status, sum(n)::int as n, coalesce(sum(n) filter (where retrying), 0)::int as retrying
      from public.connection_counts group by provider, status`,
    sql<{ provider: string; n: number }[]>`
      select provider, count(*)::int as n from public.platform_connections
      where status <> 'disconnected' and token_expires_at < now() group by provider`,
    sql<{ provider: string; error_code: string; n: number }[]>`
      select provider, error_code, count(*)::int as n from public.token_audit_log
      where created_at > now() - interval '1 hour' and outcome = 'failure' and error_code is not null and provider is not null
      group by provider, error_code`,
    encryptionKeys(sql, env),
  ]);
  const providers: Record<string, ProviderHealth> = {};
  for (const id of PROVIDER_IDS) {
    providers[id] = {
      configured: resolveIfConfigured(id, env).configured,
      connections: Object.fromEntries(CONNECTION_STATUSES.map((s) => [s, 0])) as ProviderHealth["connections"],
      retrying: 0, expired: 0, failures_last_hour: {}, client_misconfigured: false,
    };
  }
  for (const c of counts) {
    const p = providers[c.provider];
    if (!p) continue;
    if (c.status in p.connections) p.connections[c.status as keyof ProviderHealth["connections"]] = c.n;
    p.retrying += c.retrying;
  }
  for (const l of lapsed) {
    const p = providers[l.provider];
    if (p) p.expired = l.n;
  }
  for (const f of failures) {
    const p = providers[f.provider];
    if (!p) continue;
    p.failures_last_hour[f.error_code] = f.n;
    if (f.error_code === "client_misconfigured" || f.error_code === "not_configured") p.client_misconfigured = true;
  }
  return { generated_at: new Date().toISOString(), providers, encryption_keys: keys };
}

/**
 * Rows each key id still protects (every encrypted table), and whether the ring holds it: a key can be retired
 * once its `rows` is 0 (run `npm run tokens -- rotate-key` first).
 */
export async function encryptionKeys(sql: Sql, env: Readonly<Record<string, string | undefined>>): Promise<{
  primary_key_id: string | null;
  by_key_id: Record<string, { rows: number; in_ring: boolean; tables: KeyUsage[string]["tables"] }>;
}> {
  const ids = keyIdsOf(env.TOKEN_ENCRYPTION_KEYS);
  const usage = await keyUsage(sql);
  const byKeyId: Record<string, { rows: number; in_ring: boolean; tables: KeyUsage[string]["tables"] }> = {};
  for (const id of new Set([...ids, ...Object.keys(usage).sort()])) {
    byKeyId[id] = { rows: usage[id]?.total ?? 0, in_ring: ids.includes(id), tables: usage[id]?.tables ?? {} };
  }
  return { primary_key_id: ids[0] ?? null, by_key_id: byKeyId };
}

/** The same numbers in Prometheus' text exposition format. */
export function toPrometheus(health: Awaited<ReturnType<typeof tokenHealth>>): string {
  const lines = [
    "# HELP provider_tokens_connections Connections by provider and status.",
    "# TYPE provider_tokens_connections gauge",
  ];
  for (const [provider, h] of Object.entries(health.providers)) {
    for (const [status, n] of Object.entries(h.connections)) lines.push(`provider_tokens_connections{provider="${provider}",status="${status}"} ${n}`);
  }
  lines.push("# HELP provider_tokens_retrying Connections backing off after failed refreshes.", "# TYPE provider_tokens_retrying gauge");
  for (const [provider, h] of Object.entries(health.providers)) lines.push(`provider_tokens_retrying{provider="${provider}"} ${h.retrying}`);
  lines.push("# HELP provider_tokens_refresh_failures_last_hour Refresh failures in the last hour.", "# TYPE provider_tokens_refresh_failures_last_hour gauge");
  for (const [provider, h] of Object.entries(health.providers)) {
    for (const [code, n] of Object.entries(h.failures_last_hour)) lines.push(`provider_tokens_refresh_failures_last_hour{provider="${provider}",code="${code}"} ${n}`);
  }
  lines.push("# HELP provider_tokens_encrypted_rows Rows (all encrypted tables) under each key id.", "# TYPE provider_tokens_encrypted_rows gauge");
  for (const [keyId, k] of Object.entries(health.encryption_keys.by_key_id)) {
    lines.push(`provider_tokens_encrypted_rows{key_id="${keyId}",in_ring="${k.in_ring}"} ${k.rows}`);
  }
  lines.push("# HELP provider_tokens_provider_configured Whether the provider has client credentials.", "# TYPE provider_tokens_provider_configured gauge");
  for (const [provider, h] of Object.entries(health.providers)) lines.push(`provider_tokens_provider_configured{provider="${provider}"} ${h.configured ? 1 : 0}`);
  return lines.join("\n") + "\n";
}
