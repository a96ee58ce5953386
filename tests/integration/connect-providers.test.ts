/**
 * The full connect flow for every provider id of the contract, against the provider emulator: oauth-start →
 * the emulator's authorize endpoint → oauth-callback → redirect_to with the connect id → oauth-complete, then what was stored and what the
 * emulator received.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptForRow } from "../../packages/shared/src/crypto/connection-tokens.ts";
import { PROVIDER_CATALOG } from "../../packages/shared/src/providers/catalog.ts";
import { PROVIDER_IDS } from "../../packages/shared/src/providers/provider-ids.ts";
import { clientIdOf } from "../../scripts/emulator/server.ts";
import { db, userToken } from "../helpers/stack.ts";
import {
  auditRows, CALLBACK_URL, connect, connectionsOf, decryptTokens, emulatorControl, functionKeyRing, sha256Hex, stateRow,
  TEST_APP_URL, uniqueEmail,
} from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };
const run = Date.now().toString(36);

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-providers"));
});
afterAll(() => sql.end());

/** What each provider's account id is, as the emulator hands it out for `emulator_account`. */
function plan(provider: string): { options: Parameters<typeof connect>[2]; account: string; metadata: Record<string, string> } {
  if (provider === "shopify") {
    const store = `store-${run}`;
    return { options: { shop: `${store}.myshopify.com` }, account: `${store}.myshopify.com`, metadata: { shop: `${store}.myshopify.com` } };
  }
  const account = `${provider.replace(/_/g, "-")}-${run}`;
  const metadata: Record<string, string> =
    provider === "quickbooks" ? { realmId: account } : provider === "lightspeed" ? { domain_prefix: account } : provider === "xero" ? { tenant: account, tenants: account } : {};
  return { options: { emulator: { emulator_account: account } }, account, metadata };
}

describe.each(PROVIDER_IDS)("connect %s", (provider) => {
  it("stores the tokens encrypted, captures the account, and redirects to redirect_to", async () => {
    const definition = PROVIDER_CATALOG[provider];
    const { options, account, metadata } = plan(provider);
    const flow = await connect(user.token, provider, options);

    // The authorization request: response_type, client, the callback as redirect_uri, a fresh state, PKCE
    // S256 where the provider does PKCE, the scopes and parameters that yield a refresh token.
    const q = flow.authorizeUrl.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("client_id")).toBe(clientIdOf(provider));
    expect(q.get("redirect_uri")).toBe(CALLBACK_URL);
    expect(flow.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    if (definition.authorization.pkce === "none") {
      expect(q.has("code_challenge")).toBe(false);
    } else {
      expect(q.get("code_challenge_method")).toBe("S256");
      expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    const scopes = (q.get("scope") ?? "").split(definition.authorization.scopeSeparator).filter(Boolean);
    for (const s of [...definition.authorization.defaultScopes, ...definition.authorization.refreshTokenScopes]) expect(scopes).toContain(s);
    for (const [k, v] of Object.entries(definition.authorization.params)) expect(q.get(k)).toBe(v);
    expect(Date.parse(flow.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(Date.parse(flow.expiresAt) - Date.now()).toBeLessThanOrEqual(10 * 60_000 + 5_000);

    // The redirect back to the app: connect=<id>&provider=<provider>, nothing secret in it; the page's
    // oauth-complete call with the same user's JWT turns the parked grant into the connection.
    expect(flow.response.status).toBe(302);
    expect(flow.location).not.toBeNull();
    expect(flow.location!.href.startsWith(`${TEST_APP_URL}/connected?`)).toBe(true);
    expect([...flow.location!.searchParams.keys()]).toEqual(["connect", "provider"]);
    expect(flow.connectId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(flow.location!.searchParams.get("provider")).toBe(provider);
    expect(flow.response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(flow.completion).toEqual({ status: 200, body: { provider, account, status: "connected" } });
    const [parkedLeft] = await sql`select count(*)::int as n from public.oauth_parked_grants where connect_hash = decode(${sha256Hex(flow.connectId!)}, 'hex')`;
    expect(parkedLeft!.n).toBe(0);

    // The stored row: ciphertext only, connected, the account id and its metadata.
    const [row, ...more] = await connectionsOf(sql, user.id, provider);
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({ status: "connected", account_id: account, consecutive_failures: 0, lease_owner: null, last_sync_error: null });
    expect(row!.metadata).toEqual(metadata);
    expect(row!.access_token).toMatch(/^v1\.[A-Za-z0-9_-]+\./);
    expect(row!.refresh_token).toMatch(/^v1\.[A-Za-z0-9_-]+\./);
    expect(row!.encryption_key_id).toBe((await functionKeyRing()).primaryKeyId);
    expect(row!.token_expires_at!.getTime()).toBeGreaterThan(Date.now());
    expect(row!.next_attempt_at).toBeNull();
    for (const s of definition.authorization.defaultScopes) expect(row!.scopes).toContain(s);

    // The ciphertexts decrypt (bound to this row) to tokens the emulator issued for that account.
    const tokens = await decryptTokens(row!);
    const at = await emulatorControl(`/token?token=${encodeURIComponent(tokens.accessToken!)}`);
    const rt = await emulatorControl(`/token?token=${encodeURIComponent(tokens.refreshToken!)}`);
    const emulated = provider === "shopify" ? account.replace(/\.myshopify\.com$/, "") : account;
    expect(at.access).toEqual({ valid: true, account: emulated });
    expect(rt.refresh).toEqual({ state: "live", account: emulated });

    // The exchange the emulator received: the provider's client authentication and body format, the same
    // redirect_uri, the PKCE verifier where a challenge was sent, the catalog's extra parameters.
    const { requests } = await emulatorControl<{ requests: any[] }>(`/requests?provider=${provider}&endpoint=token`);
    const exchange = requests.filter((r) => r.grant_type === "authorization_code").at(-1);
    const expectedAuth = { client_secret_basic: "basic", client_secret_post: "body", none: "client_id_only" }[definition.oauth.clientAuth];
    expect(exchange).toMatchObject({
      method: "POST",
      client_auth: expectedAuth,
      content_type: definition.oauth.bodyFormat === "json" ? "application/json" : "application/x-www-form-urlencoded",
      has_code_verifier: definition.authorization.pkce !== "none",
      redirect_uri: CALLBACK_URL,
    });
    for (const name of ["code", "grant_type", "redirect_uri", ...Object.keys(definition.oauth.exchangeParams)]) expect(exchange.params).toContain(name);

    // The pending authorization: spent, stored by hash only, its PKCE verifier encrypted and bound to the row.
    const pending = await stateRow(sql, flow.state);
    expect(pending).toMatchObject({ user_id: user.id, provider, redirect_to: `${TEST_APP_URL}/connected`, hash_hex: sha256Hex(flow.state) });
    expect(pending!.used_at).not.toBeNull();
    expect(JSON.stringify(pending)).not.toContain(flow.state);
    if (definition.authorization.pkce === "none") {
      expect(pending!.code_verifier).toBeNull();
    } else {
      const verifier = await decryptForRow(await functionKeyRing(), "public.oauth_states", pending!.id, "pkce_verifier", pending!.code_verifier);
      expect(createHash("sha256").update(verifier).digest("base64url")).toBe(q.get("code_challenge"));
    }

    const audit = (await auditRows(sql, user.id, "connect")).filter((a) => a.connection_id === row!.id);
    expect(audit).toEqual([{ connection_id: row!.id, provider, outcome: "success", error_code: null, http_status: null }]);
  });
});
