/**
 * A rotated refresh token is never lost: saves the database refuses are retried, then parked and applied on
 * the next read or claim; odd provider values are bounded instead of failing the save; a caller that hangs
 * up does not stop the save; the lease is given back on every path. Against the strictly rotating emulator
 * (Discord, X: a spent refresh token is refused at once), with real concurrent callers.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decryptConnectionToken } from "../../packages/shared/src/crypto/connection-tokens.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { functionKeyRing, seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";
import { connect, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };
let serviceKey: string;

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken(uniqueEmail("durability"));
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await dropRefusal();
  await setScheduleActive(sql, true);
  await sql.end();
});
beforeEach(async () => {
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  await emulator.clearFaults();
  await emulator.resetStats();
});
afterEach(async () => {
  await dropRefusal();
  await emulator.config({ token_response: null, revoke: "account" });
});

const getToken = (init: RequestInit = {}) =>
  callFunction("get-token", { method: "POST", body: JSON.stringify({ provider: "discord" }), token: user.token, ...init });

/**
 * Makes the database refuse the first `n` writes of new tokens to one connection, the way a check, a
 * trigger or a timeout would: a trigger raising on any update that changes its access token. The count
 * lives in a sequence (not rolled back with the refused transaction).
 */
async function refuseSaves(connectionId: string, n: number) {
  await sql.unsafe(`
    create sequence if not exists public.durability_test_refusals;
    select setval('public.durability_test_refusals', 1, false);
    create or replace function public.durability_test_refuse() returns trigger language plpgsql set search_path = '' as $$
    begin
      if new.id = '${connectionId}' and new.access_token is distinct from old.access_token and new.access_token is not null
         and nextval('public.durability_test_refusals') <= ${n} then
        raise exception using errcode = '57014', message = 'canceling statement due to statement timeout (injected by the test)';
      end if;
      return new;
    end $$;
    create trigger durability_test_refuse before update on public.platform_connections
      for each row execute function public.durability_test_refuse();`);
}
async function dropRefusal() {
  await sql.unsafe(`
    drop trigger if exists durability_test_refuse on public.platform_connections;
    drop function if exists public.durability_test_refuse();
    drop sequence if exists public.durability_test_refusals;`);
}
async function refusalsSoFar(): Promise<number> {
  const [r] = await sql<{ last_value: string; is_called: boolean }[]>`select last_value, is_called from public.durability_test_refusals`;
  return r!.is_called ? Number(r!.last_value) : 0;
}

async function rowOf(id: string) {
  const [row] = await sql<{
    status: string; refresh_token: string | null; access_token: string | null; lease_owner: string | null; token_type: string;
    scopes: string[]; token_expires_at: Date | null; consecutive_failures: number; last_sync_status: string | null;
  }[]>`select * from public.platform_connections where id = ${id}`;
  return row!;
}
async function storedRefreshToken(id: string): Promise<string> {
  const row = await rowOf(id);
  return decryptConnectionToken(await functionKeyRing(), id, "refresh_token", row.refresh_token!);
}
const newestRefreshToken = async (provider: string) => (await emulator.issued(provider)).refresh_tokens.at(-1)!;
const parkedCount = async (id: string) => (await sql`select 1 from public.pending_token_sets where connection_id = ${id}`).length;

describe("saves the database refuses", () => {
  it("are retried inside the lease: two refused saves, then the third lands; 20 concurrent callers, one provider call", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: "dur-retry", expiresIn: -30 });
    await refuseSaves(seeded.id, 2);
    const responses = await Promise.all(Array.from({ length: 20 }, () => getToken()));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(bodies.map((b) => b.access_token)).size).toBe(1);
    expect(bodies[0].access_token).not.toBe(seeded.accessToken);
    expect(await refusalsSoFar()).toBeGreaterThanOrEqual(3);

    const row = await rowOf(seeded.id);
    expect(row).toMatchObject({ status: "connected", consecutive_failures: 0, lease_owner: null });
    expect(await storedRefreshToken(seeded.id)).toBe(await newestRefreshToken("discord"));
    expect(await parkedCount(seeded.id)).toBe(0);
    expect(await emulator.stats("discord")).toMatchObject({ refresh: 1, refresh_ok: 1, spent_reuse: 0 });
  });

  it("are parked when every retry fails, served from the parking place, and applied on the next get-token once the database accepts", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: "dur-park", expiresIn: -30 });
    await refuseSaves(seeded.id, 1_000_000);
    const first = await getToken();
    expect(first.status).toBe(200);
    const minted = (await first.json()).access_token as string;
    expect(minted).not.toBe(seeded.accessToken);
    expect(await parkedCount(seeded.id)).toBe(1);
    const parkedRow = await rowOf(seeded.id);
    expect(parkedRow.lease_owner).toBeNull();
    expect(await storedRefreshToken(seeded.id)).toBe(seeded.refreshToken);

    // Still refused: concurrent callers are served the parked token, nobody calls the provider again.
    const during = await Promise.all(Array.from({ length: 10 }, () => getToken()));
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(await Promise.all(during.map(async (r) => (await r.json()).access_token)))).toEqual(new Set([minted]));

    await dropRefusal();
    const after = await Promise.all(Array.from({ length: 20 }, () => getToken()));
    expect(after.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(await Promise.all(after.map(async (r) => (await r.json()).access_token)))).toEqual(new Set([minted]));

    expect(await parkedCount(seeded.id)).toBe(0);
    const row = await rowOf(seeded.id);
    expect(row).toMatchObject({ status: "connected", lease_owner: null });
    expect(await storedRefreshToken(seeded.id)).toBe(await newestRefreshToken("discord"));
    expect(await emulator.stats("discord")).toMatchObject({ refresh: 1, refresh_ok: 1, spent_reuse: 0 });
  });

  it("a parked set is applied by the scheduler's claim too, without a provider call", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "twitter", account: "dur-claim", expiresIn: -30 });
    await refuseSaves(seeded.id, 1_000_000);
    const first = await callFunction("get-token", { method: "POST", body: JSON.stringify({ provider: "twitter" }), token: user.token });
    expect(first.status).toBe(200);
    expect(await parkedCount(seeded.id)).toBe(1);
    await dropRefusal();

    const run = await callFunction("refresh-expiring", { method: "POST", body: "{}", token: serviceKey });
    expect(run.status).toBe(200);
    expect(await parkedCount(seeded.id)).toBe(0);
    expect(await rowOf(seeded.id)).toMatchObject({ status: "connected", lease_owner: null });
    expect(await storedRefreshToken(seeded.id)).toBe(await newestRefreshToken("twitter"));
    expect(await emulator.stats("twitter")).toMatchObject({ refresh: 1, spent_reuse: 0 });
  });
});

describe("odd provider values", () => {
  const odd = { expires_in: 1e13, token_type: "T".repeat(40), scope_count: 1000 };

  it("on refresh: expires_in 1e13, a 40-character token_type and 1,000 scopes are bounded, nothing is lost", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: "dur-odd", expiresIn: -30 });
    await emulator.config({ provider: "discord", token_response: odd });
    const res = await getToken();
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.token_type).toBe("Bearer");
    expect(body.scopes).toHaveLength(256);
    expect(Date.parse(body.expires_at) - Date.now()).toBeLessThan(2 * 3600_000);
    const row = await rowOf(seeded.id);
    expect(row).toMatchObject({ status: "connected", token_type: "Bearer", lease_owner: null });
    expect(row.scopes).toHaveLength(256);
    expect(await storedRefreshToken(seeded.id)).toBe(await newestRefreshToken("discord"));
    expect(await parkedCount(seeded.id)).toBe(0);
  });

  it("on connect: the same values do not fail the code exchange", async () => {
    await emulator.config({ provider: "discord", token_response: odd });
    const run = await connect(user.token, "discord", { emulator: { emulator_account: "dur-odd-connect" } });
    expect(run.location?.searchParams.get("error")).toBeNull();
    const [row] = await sql<{ id: string; status: string; token_type: string; scopes: string[]; token_expires_at: Date }[]>`
      select id, status, token_type, scopes, token_expires_at from public.platform_connections
      where user_id = ${user.id} and provider = 'discord' and account_id = 'dur-odd-connect'`;
    expect(row).toMatchObject({ status: "connected", token_type: "Bearer" });
    expect(row!.scopes).toHaveLength(256);
    expect(row!.token_expires_at.getTime() - Date.now()).toBeLessThan(2 * 3600_000);
    expect(await storedRefreshToken(row!.id)).toBe(await newestRefreshToken("discord"));
  });
});

describe("a caller that hangs up", () => {
  it("mid-refresh does not stop the save: the rotated token is stored, the next call needs no provider", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: "dur-abort", expiresIn: -30 });
    await emulator.fault({ provider: "discord", mode: "slow_response", delay_ms: 1_500, count: 1 });
    const controller = new AbortController();
    const pending = getToken({ signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 400));
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    // The provider has already rotated: the old refresh token is spent.
    expect((await emulator.token(seeded.refreshToken!)).refresh?.state).toBe("spent");

    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await storedRefreshToken(seeded.id)) === seeded.refreshToken) await new Promise((r) => setTimeout(r, 100));
    expect(await storedRefreshToken(seeded.id)).toBe(await newestRefreshToken("discord"));
    const next = await getToken();
    expect(next.status).toBe(200);
    expect(await emulator.stats("discord")).toMatchObject({ refresh: 1, spent_reuse: 0 });
  });
});

describe("the lease", () => {
  it("is given back on every path: success, each failure kind, a parked save", async () => {
    const cases: Array<{ account: string; setup: (id: string) => Promise<unknown>; status: number }> = [
      { account: "lease-ok", setup: async () => {}, status: 200 },
      { account: "lease-5xx", setup: () => emulator.fault({ provider: "discord", mode: "server_error", count: 1 }), status: 503 },
      { account: "lease-429", setup: () => emulator.fault({ provider: "discord", mode: "rate_limit", count: 1, retry_after: 30 }), status: 503 },
      { account: "lease-grant", setup: () => emulator.fault({ provider: "discord", mode: "invalid_grant", count: 1 }), status: 409 },
      { account: "lease-client", setup: () => emulator.fault({ provider: "discord", mode: "invalid_client", count: 1 }), status: 503 },
      { account: "lease-parked", setup: (id) => refuseSaves(id, 1_000_000), status: 200 },
    ];
    for (const c of cases) {
      await sql`delete from public.platform_connections where user_id = ${user.id}`;
      await emulator.clearFaults();
      const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: c.account, expiresIn: -30 });
      await c.setup(seeded.id);
      const res = await getToken();
      expect(res.status, c.account).toBe(c.status);
      const row = await rowOf(seeded.id);
      expect(row.lease_owner, `${c.account}: lease released`).toBeNull();
      await dropRefusal();
    }
  });
});
