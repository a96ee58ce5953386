/**
 * The connection statuses and their transitions are owned by packages/shared/src/engine/transitions.ts; the
 * database follows. These fail when the schema drifts from that module: the status check constraint as
 * pg_catalog holds it, the statuses record_refresh_failure accepts, and what each row of TRANSITIONS does to a
 * leased row through the functions the engine calls.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { ConnectionSummaryStatus } from "../../packages/shared/src/client/provider-tokens-client.ts";
import {
  CONNECTION_STATUSES, failureStatus, TRANSITIONS, type ConnectionStatus, type Outcome, type Transition,
} from "../../packages/shared/src/engine/transitions.ts";
import { db, userToken } from "../helpers/stack.ts";

const sql = db();
// Not a real ciphertext: the database only checks the envelope's shape and key id.
const envelope = (label: string) => `v1.k1.AAAAAAAAAAAAAAAA.${Buffer.from(label.padEnd(22, "-")).toString("base64url")}`;
const PROVIDER = "twitch";
let userId: string;

beforeAll(async () => {
  userId = (await userToken("connection-status@example.com")).id;
  await sql`delete from public.platform_connections where user_id = ${userId}`;
});

afterAll(async () => {
  await sql`delete from public.platform_connections where user_id = ${userId}`;
  // client_misconfigured marks the provider (provider.* alerts); leave no mark for later files.
  await sql`delete from public.provider_alert_state where provider = ${PROVIDER}`;
  await sql.end();
});

async function insertConnection(account: string, status: ConnectionStatus, lapsed: boolean, failures: number): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into public.platform_connections (user_id, provider, account_id, access_token, refresh_token, encryption_key_id,
      status, token_expires_at, consecutive_failures)
    values (${userId}, ${PROVIDER}, ${account}, ${envelope(`a-${account}`)}, ${envelope(`r-${account}`)}, 'k1',
      ${status}, now() + ${lapsed ? "-1 minute" : "1 hour"}::interval, ${failures})
    returning id`;
  return row!.id;
}

async function lease(id: string): Promise<{ owner: string; version: string }> {
  const owner = crypto.randomUUID();
  const [row] = await sql<{ version: string }[]>`select version from provider_tokens.acquire_refresh_lease(${id}, ${owner}, 60)`;
  expect(row, "leased").toBeDefined();
  return { owner, version: row!.version };
}

describe("connection statuses: the database follows transitions.ts", () => {
  it("the browser client's status type is the same list (it spells it out to import nothing of the server)", () => {
    expectTypeOf<ConnectionSummaryStatus>().toEqualTypeOf<ConnectionStatus>();
  });

  it("platform_connections_status_check allows exactly CONNECTION_STATUSES", async () => {
    const [row] = await sql<{ def: string }[]>`
      select pg_get_constraintdef(k.oid) as def from pg_constraint k
      where k.conrelid = 'public.platform_connections'::regclass and k.conname = 'platform_connections_status_check'`;
    const allowed = [...row!.def.matchAll(/'([^']*)'::text/g)].map((m) => m[1]);
    expect(allowed.sort()).toEqual([...CONNECTION_STATUSES].sort());
    const id = await insertConnection("check", "connected", false, 0);
    await expect(sql`update public.platform_connections set status = 'broken' where id = ${id}`).rejects.toMatchObject({ code: "23514" });
  });

  it("record_refresh_failure accepts exactly CONNECTION_STATUSES as p_new_status", async () => {
    const id = await insertConnection("new-status", "connected", false, 0);
    for (const status of [...CONNECTION_STATUSES, "unknown"]) {
      await sql`update public.platform_connections set status = 'connected' where id = ${id}`;
      const { owner } = await lease(id);
      const call = sql`select provider_tokens.record_refresh_failure(${id}, ${owner}, 'transient', null, null, ${status}) as ok`;
      if ((CONNECTION_STATUSES as readonly string[]).includes(status)) {
        expect((await call)[0]!.ok, status).toBe(true);
      } else {
        await expect(call, status).rejects.toMatchObject({ code: "22023" });
        await sql`select provider_tokens.release_refresh_lease(${id}, ${owner})`;
      }
    }
  });

  /** What the row of TRANSITIONS says a connection becomes, from its status and whether its access token lapsed. */
  function expected(t: Transition, status: ConnectionStatus, lapsed: boolean, failures: number, retryAt: Date | null) {
    const next = t.status === "keep" ? status : t.status === "lapsed" ? (lapsed ? "token_expired" : "connected") : t.status;
    const count = t.failures === "reset" ? 0 : t.failures === "count" ? failures + 1 : failures;
    return { status: next, consecutive_failures: count, next_attempt_at: retryAt, lease_owner: null };
  }

  // The starting points a refresh meets: a live token, a lapsed one not yet marked, one marked token_expired.
  const starts: { status: ConnectionStatus; lapsed: boolean }[] = [
    { status: "connected", lapsed: false }, { status: "connected", lapsed: true }, { status: "token_expired", lapsed: true },
  ];
  const cases = (Object.keys(TRANSITIONS) as Outcome[]).flatMap((outcome) => starts.map((s) => ({ outcome, ...s })));

  it.each(cases)("$outcome from $status (lapsed: $lapsed) does what TRANSITIONS says", async ({ outcome, status, lapsed }) => {
    const t = TRANSITIONS[outcome];
    const failures = 1;
    const id = await insertConnection(`${outcome}-${status}-${lapsed}`, status, lapsed, failures);
    const { owner, version } = await lease(id);
    // The engine passes no retry time when the transition retries never, and a time of its own otherwise.
    const retryAt = t.retry === "none" ? null : new Date(Math.floor(Date.now() / 1000) * 1000 + 600_000);
    const [result] = outcome === "success"
      ? await sql<{ ok: boolean }[]>`
          select provider_tokens.save_refreshed_tokens(${id}, ${owner}, ${version}, ${envelope(`a2-${id}`)}, null, 'k1',
            now() + interval '1 hour') as ok`
      : await sql<{ ok: boolean }[]>`
          select provider_tokens.record_refresh_failure(${id}, ${owner}, ${outcome}, 'a message', ${retryAt}, ${failureStatus(t)}) as ok`;
    expect(result!.ok).toBe(true);
    const [row] = await sql`
      select status, consecutive_failures, next_attempt_at, lease_owner, last_sync_status
      from public.platform_connections where id = ${id}`;
    expect(row).toEqual({
      ...expected(t, status, lapsed, failures, retryAt),
      last_sync_status: outcome === "success" ? "ok" : outcome,
    });
  });
});
