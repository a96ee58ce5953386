/** The provider emulator's control API, as the integration tests use it. */
import type { ProviderStats } from "../../scripts/emulator/server.ts";
import { EMULATOR_URL } from "./stack-env.ts";

async function call<T = Record<string, unknown>>(path: string, method = "GET", body?: unknown): Promise<T> {
  const res = await fetch(`${EMULATOR_URL}/_emulator${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  if (!res.ok) throw new Error(`emulator ${method} ${path}: ${res.status}`);
  return (await res.json()) as T;
}

export interface Grant {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
}

export const emulator = {
  reset: () => call("/reset", "POST", {}),
  grant: (provider: string, account: string) => call<Grant>("/grant", "POST", { provider, account }),
  stats: async (provider: string): Promise<ProviderStats> =>
    ((await call<Record<string, ProviderStats>>("/stats"))[provider] ??
      { exchange: 0, refresh: 0, refresh_ok: 0, refresh_rejected: 0, spent_reuse: 0, revoke: 0, api: 0, in_flight: 0, max_in_flight: 0 }),
  resetStats: () => call("/stats/reset", "POST", {}),
  fault: (f: { provider: string; mode: string; endpoint?: string; count?: number; duration_ms?: number; delay_ms?: number; retry_after?: number; account?: string; scope?: "user" | "global" }) =>
    call("/faults", "POST", f),
  clearFaults: () => call("/faults", "DELETE"),
  config: (c: {
    provider?: string; access_token_ttl?: number; latency_ms?: number;
    token_response?: { expires_in?: unknown; token_type?: unknown; scope_count?: number } | null; revoke?: "token" | "account";
  }) => call("/config", "POST", c),
  issued: (provider: string) => call<{ access_tokens: string[]; refresh_tokens: string[] }>(`/issued?provider=${encodeURIComponent(provider)}`),
  revokeAccount: (provider: string, account: string) => call("/revoke-account", "POST", { provider, account }),
  token: (token: string) => call<{ refresh: { state: string } | null; access: { valid: boolean } | null }>(`/token?token=${encodeURIComponent(token)}`),
};
