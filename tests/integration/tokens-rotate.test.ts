/**
 * Key rotation end to end: connections of several providers (never-expiring GitHub and Shopify ones too)
 * under k1; the stack restarted with `k2,k1`; `tokens rotate-key` while get-token callers keep refreshing
 * against the strictly rotating emulator; the stack restarted with only k2: every token still served. And a
 * rotation interrupted with Ctrl-C is finished by a second run.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseKeyRing, type KeyRing } from "../../packages/shared/src/crypto/key-ring.ts";
import { encryptConnectionTokens } from "../../packages/shared/src/crypto/connection-tokens.ts";
import { up } from "../../scripts/stack/lifecycle.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { emulator } from "../helpers/emulator.ts";
import { functionKeyRing, setScheduleActive } from "../helpers/connections.ts";
import { readFunctionsDotEnv } from "../../scripts/stack/config.ts";
import { loadKeys } from "../../scripts/stack/keys.ts";
import { testStackEnv } from "../helpers/stack-env.ts";
import { runCli, startCli } from "../helpers/tokens-cli.ts";

const sql = db();
/**
 * k1 is the ring every other test file runs with (rows they left stay readable), so a rotation here moves
 * those rows too; afterAll rotates everything back to it.
 */
let K1 = "";
const K2 = `k2:${randomBytes(32).toString("hex")}`;
const K3 = `k3:${randomBytes(32).toString("hex")}`;
let user: { id: string; token: string };
let serviceKey: string;

interface Seeded { provider: string; account: string; accessToken: string; refreshable: boolean }

async function seed(ring: KeyRing, provider: string, account: string, opts: { expiresIn: number | null; refresh: boolean; metadata?: Record<string, string> }): Promise<Seeded> {
  const grant = await emulator.grant(provider, account);
  const id = crypto.randomUUID();
  const enc = await encryptConnectionTokens(ring, id, { accessToken: grant.access_token, refreshToken: opts.refresh ? grant.refresh_token : undefined });
  await sql`
    insert into public.platform_connections
      (id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at, scopes, metadata)
    values (${id}, ${user.id}, ${provider}, ${account}, ${enc.accessToken}, ${enc.refreshToken}, ${enc.keyId},
      ${opts.expiresIn === null ? null : new Date(Date.now() + opts.expiresIn * 1000)}, ${sql.array(["read"])}, ${sql.json((opts.metadata ?? {}) as never)})`;
  return { provider, account, accessToken: grant.access_token, refreshable: opts.refresh };
}

const getToken = (c: { provider: string; account: string }) =>
  callFunction("get-token", { method: "POST", token: serviceKey, body: JSON.stringify({ provider: c.provider, account: c.account, user_id: user.id }) });

const keyCounts = async () =>
  Object.fromEntries((await sql<{ k: string; n: number }[]>`
    select encryption_key_id as k, count(*)::int as n from public.platform_connections where user_id = ${user.id} and encryption_key_id is not null group by 1`).map((r) => [r.k, r.n]));

beforeAll(async () => {
  K1 = readFunctionsDotEnv().TOKEN_ENCRYPTION_KEYS ?? (await loadKeys()).tokenEncryptionKeys;
  await setScheduleActive(sql, false);
  user = await userToken(`rotate-${Date.now().toString(36)}@example.com`);
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await emulator.config({ provider: "spotify", access_token_ttl: 3600 });
  await emulator.config({ provider: "twitch", access_token_ttl: 3600 });
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  // Back to the ring the other test files use, for whatever rows they left.
  await runCli(["rotate-key"], { TOKEN_ENCRYPTION_KEYS: `${K1},${K3},${K2}` });
  await up({ env: testStackEnv() });
  await setScheduleActive(sql, true);
  await sql.end();
});

describe("tokens rotate-key", () => {
  it("moves every row to the new key while refreshes race it, and every token is served once the old key is gone", async () => {
    await up({ env: { ...testStackEnv(), TOKEN_ENCRYPTION_KEYS: K1 } });
    const ring1 = await parseKeyRing(K1);
    const seeded: Seeded[] = [];
    // Never-expiring tokens without a refresh token: nothing but a rotation ever rewrites these rows.
    for (let i = 0; i < 20; i++) seeded.push(await seed(ring1, "github", `gh-${i}`, { expiresIn: null, refresh: false }));
    for (let i = 0; i < 20; i++) seeded.push(await seed(ring1, "shopify", `shop${i}.myshopify.com`, { expiresIn: null, refresh: false, metadata: { shop: `shop${i}.myshopify.com` } }));
    // Refreshing ones: the emulator issues 5-second access tokens, so get-token refreshes them again and again.
    await emulator.config({ provider: "spotify", access_token_ttl: 5 });
    await emulator.config({ provider: "twitch", access_token_ttl: 5 });
    for (let i = 0; i < 30; i++) seeded.push(await seed(ring1, "spotify", `sp-${i}`, { expiresIn: 5, refresh: true }));
    for (let i = 0; i < 30; i++) seeded.push(await seed(ring1, "twitch", `tw-${i}`, { expiresIn: 5, refresh: true }));
    for (let i = 0; i < 100; i++) seeded.push(await seed(ring1, "google", `g-${i}`, { expiresIn: 3600, refresh: true }));
    const k1 = (await functionKeyRing()).primaryKeyId;
    expect(await keyCounts()).toEqual({ [k1]: seeded.length });

    await up({ env: { ...testStackEnv(), TOKEN_ENCRYPTION_KEYS: `${K2},${K1}` } });
    await emulator.resetStats();

    // Concurrent callers over the refreshing rows for the whole rotation.
    const racing = seeded.filter((s) => s.provider === "spotify" || s.provider === "twitch");
    const failures: string[] = [];
    let served = 0;
    let running = true;
    const callers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; running; i += 8) {
        const c = racing[i % racing.length]!;
        const res = await getToken(c);
        if (res.status === 200) { served += 1; await res.body?.cancel(); } else failures.push(`${c.provider}/${c.account}: ${res.status} ${await res.text()}`);
      }
    });
    const run = await runCli(["rotate-key", "--json", "--batch-size", "25", "--concurrency", "4"], { TOKEN_ENCRYPTION_KEYS: `${K2},${K1}` });
    running = false;
    await Promise.all(callers);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.primary_key_id).toBe("k2");
    expect(result.busy).toBe(0);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(50);
    expect(await keyCounts()).toEqual({ k2: seeded.length });
    // The racing refreshes happened, and none of them was refused as a spent refresh token.
    const spotify = await emulator.stats("spotify");
    expect(spotify.refresh_ok).toBeGreaterThan(0);
    expect(spotify.spent_reuse).toBe(0);
    expect((await emulator.stats("twitch")).spent_reuse).toBe(0);

    // status and token-health say the old key protects nothing any more.
    const status = JSON.parse((await runCli(["status", "--json"], { TOKEN_ENCRYPTION_KEYS: `${K2},${K1}` })).stdout);
    expect(status.encryption_keys.by_key_id[k1]).toMatchObject({ rows: 0, in_ring: true });
    const health = await (await callFunction("token-health", { token: serviceKey })).json();
    expect(health.encryption_keys.primary_key_id).toBe("k2");
    expect(health.encryption_keys.by_key_id[k1].rows).toBe(0);
    expect(health.encryption_keys.by_key_id.k2.rows).toBeGreaterThanOrEqual(seeded.length);

    // A second run finds nothing to do.
    const again = JSON.parse((await runCli(["rotate-key", "--json"], { TOKEN_ENCRYPTION_KEYS: `${K2},${K1}` })).stdout);
    expect(again).toMatchObject({ total: 0, rotated: 0 });

    await up({ env: { ...testStackEnv(), TOKEN_ENCRYPTION_KEYS: K2 } });
    const wrong: string[] = [];
    for (const c of seeded) {
      const res = await getToken(c);
      const body = await res.json();
      if (res.status !== 200) wrong.push(`${c.provider}/${c.account}: ${res.status} ${JSON.stringify(body)}`);
      else if (!c.refreshable && body.access_token !== c.accessToken) wrong.push(`${c.provider}/${c.account}: another token`);
    }
    expect(wrong).toEqual([]);
  }, 600_000);

  it("stops cleanly on Ctrl-C; a second run finishes what is left", async () => {
    // The stack runs with k2 only from the test above; this rotation moves rows from k2 to k3.
    const ring2 = await parseKeyRing(K2);
    const rows = Array.from({ length: 3000 }, (_, i) => i);
    const values = await Promise.all(rows.map(async (i) => {
      const id = crypto.randomUUID();
      const enc = await encryptConnectionTokens(ring2, id, { accessToken: `bulk_at_${i}`, refreshToken: `bulk_rt_${i}` });
      return { id, user_id: user.id, provider: "reddit", account_id: `bulk-${i}`, access_token: enc.accessToken, refresh_token: enc.refreshToken,
        encryption_key_id: enc.keyId, token_expires_at: new Date(Date.now() + 86_400_000) };
    }));
    for (let i = 0; i < values.length; i += 500) await sql`insert into public.platform_connections ${sql(values.slice(i, i + 500))}`;
    const before = await keyCounts();

    const ring = `${K3},${K2}`;
    const first = startCli(["rotate-key", "--batch-size", "50", "--concurrency", "2"], { TOKEN_ENCRYPTION_KEYS: ring });
    // Interrupt once a good part, but not all, has moved.
    for (;;) {
      const k = await keyCounts();
      if ((k.k3 ?? 0) >= 300) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill("SIGINT");
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/^interrupted: rotated \d+ of \d+ rows to key k3/m);
    const midway = await keyCounts();
    expect(midway.k3).toBeGreaterThan(0);
    expect(midway.k2).toBeGreaterThan(0);
    expect(midway.k3! + midway.k2!).toBe(before.k2);
    // Nothing is left leased by the interrupted run.
    const [{ leased }] = await sql<{ leased: number }[]>`
      select count(*)::int as leased from public.platform_connections where user_id = ${user.id} and provider = 'reddit' and lease_owner is not null` as unknown as [{ leased: number }];
    expect(leased).toBe(0);

    const second = await runCli(["rotate-key", "--json"], { TOKEN_ENCRYPTION_KEYS: ring });
    expect(second.code).toBe(0);
    // Rows of other test files (moved to k2 above) move too: the rotation is of the whole database.
    const finished = JSON.parse(second.stdout);
    expect(finished.rotated).toBe(finished.total);
    expect(finished.rotated).toBeGreaterThanOrEqual(midway.k2!);
    expect(await keyCounts()).toEqual({ k3: before.k2 });
    // Not on a terminal: plain progress lines.
    expect(stopped.stderr).toMatch(/^rotate to k3: \d+\/\d+/m);

    // Without the old key a rotation is one clear line naming the missing key.
    await sql`update public.platform_connections set access_token = ${(await encryptConnectionTokens(ring2, values[0]!.id, { accessToken: "x" })).accessToken}, refresh_token = null, encryption_key_id = 'k2' where id = ${values[0]!.id}`;
    const missing = await runCli(["rotate-key"], { TOKEN_ENCRYPTION_KEYS: K3 });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('tokens: a row is encrypted with key id "k2", which TOKEN_ENCRYPTION_KEYS does not hold: add it back as a secondary key');
  }, 300_000);
});
