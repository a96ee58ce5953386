/**
 * A disconnect that races a refresh leaves no grant alive at the provider: not the one the refresh minted
 * after the disconnect gave up waiting for its lease, not one parked because its save failed. The emulator
 * revokes only the presented token here (some providers do), so each minted token must be revoked itself.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { callFunction, db, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";
import { postJson, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken(uniqueEmail("disconnect-during-refresh"));
});
afterAll(async () => {
  await setScheduleActive(sql, true);
  await sql.end();
});
beforeEach(async () => {
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  await emulator.clearFaults();
  await emulator.resetStats();
  await emulator.config({ provider: "discord", revoke: "token" });
});
afterEach(async () => {
  await emulator.config({ provider: "discord", revoke: "account" });
  await sql.unsafe(`drop trigger if exists disconnect_test_refuse on public.platform_connections;
    drop function if exists public.disconnect_test_refuse();`);
});

const minted = async () => (await emulator.issued("discord")).refresh_tokens.at(-1)!;
const stateOf = async (refreshToken: string) => (await emulator.token(refreshToken)).refresh?.state;

describe("disconnect during a refresh", () => {
  it("cannot take the lease (the provider answers slowly): the tokens the refresh minted are revoked when its save loses", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: "race-slow", expiresIn: -30 });
    // The provider rotates at once and answers after 6.5 s, longer than a disconnect waits for the lease (5 s).
    await emulator.fault({ provider: "discord", mode: "slow_response", delay_ms: 6_500, count: 1 });
    const refreshing = callFunction("get-token", { method: "POST", body: JSON.stringify({ provider: "discord" }), token: user.token });
    await new Promise((r) => setTimeout(r, 400));
    const newRefreshToken = await minted();
    expect(newRefreshToken).not.toBe(seeded.refreshToken);
    expect(await stateOf(newRefreshToken)).toBe("live");

    const disconnected = await postJson("disconnect", user.token, { provider: "discord" });
    expect(disconnected.status).toBe(200);
    const refreshed = await refreshing;
    expect(refreshed.status).not.toBe(200);
    await refreshed.text();

    const [row] = await sql`select status, access_token, refresh_token, lease_owner from public.platform_connections where id = ${seeded.id}`;
    expect(row).toMatchObject({ status: "disconnected", access_token: null, refresh_token: null, lease_owner: null });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await stateOf(newRefreshToken)) !== "revoked") await new Promise((r) => setTimeout(r, 100));
    expect(await stateOf(newRefreshToken)).toBe("revoked");
    expect(await stateOf(seeded.refreshToken!)).not.toBe("live");
  });

  it("a set parked because its save failed is deleted and revoked by the disconnect", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: "race-parked", expiresIn: -30 });
    await sql.unsafe(`
      create function public.disconnect_test_refuse() returns trigger language plpgsql set search_path = '' as $$
      begin
        if new.id = '${seeded.id}' and new.access_token is not null and new.access_token is distinct from old.access_token then
          raise exception using errcode = '55P03', message = 'lock not available (injected by the test)';
        end if;
        return new;
      end $$;
      create trigger disconnect_test_refuse before update on public.platform_connections
        for each row execute function public.disconnect_test_refuse();`);
    const res = await callFunction("get-token", { method: "POST", body: JSON.stringify({ provider: "discord" }), token: user.token });
    expect(res.status).toBe(200);
    await res.text();
    const parked = await minted();
    expect((await sql`select 1 from public.pending_token_sets where connection_id = ${seeded.id}`).length).toBe(1);
    expect(await stateOf(parked)).toBe("live");

    const disconnected = await postJson("disconnect", user.token, { provider: "discord" });
    expect(disconnected.status).toBe(200);
    expect((await sql`select 1 from public.pending_token_sets where connection_id = ${seeded.id}`).length).toBe(0);
    expect(await stateOf(parked)).toBe("revoked");
  });
});
