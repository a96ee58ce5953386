/**
 * Two-phase connect against a forwarded authorization URL (RFC 9700 4.7.1: the state binds the user who
 * started, not the browser that finishes). User A starts and hands the authorization URL to someone else; the
 * emulator consents as that person's account; the callback parks the grant and sends that browser to
 * redirect_to with a connect id. Only A's JWT turns it into a connection; anyone else's claim discards it and
 * revokes it at the provider, so it can never be claimed afterwards, by A either. Also: single use, expiry,
 * the sweep of unclaimed grants, and every hostile shape of the oauth-complete request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import {
  connect, connectedProvider, connectionsOf, emulatorControl, oauthComplete, postJson, sha256Hex, uniqueEmail,
} from "./connect-support.ts";

const sql = db();
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  alice = await userToken(uniqueEmail("hijack-a"));
  bob = await userToken(uniqueEmail("hijack-b"));
});
afterAll(() => sql.end());

/** The tokens the emulator issued for an account, newest last, and what it knows of them now. */
async function issuedFor(provider: string, account: string) {
  const issued = await emulatorControl<{ access_tokens: string[]; refresh_tokens: string[] }>(`/issued?provider=${provider}`);
  const mine = async (list: string[], kind: "access" | "refresh") => {
    const out: { token: string; info: any }[] = [];
    for (const token of list) {
      const info = (await emulatorControl(`/token?token=${encodeURIComponent(token)}`))[kind];
      if (info?.account === account) out.push({ token, info });
    }
    return out;
  };
  return { access: await mine(issued.access_tokens, "access"), refresh: await mine(issued.refresh_tokens, "refresh") };
}

const parkedCount = async (connectId: string) =>
  (await sql<{ n: number }[]>`select count(*)::int as n from public.oauth_parked_grants where connect_hash = decode(${sha256Hex(connectId)}, 'hex')`)[0]!.n;

describe("a forwarded authorization URL", () => {
  it("parks the other person's consent; their claim is refused, the grant revoked, and A can never claim it", async () => {
    const victim = `victim-${Date.now().toString(36)}`;
    const flow = await connect(alice.token, "discord", { emulator: { emulator_account: victim }, completeWith: false });
    expect(flow.response.status).toBe(302);
    expect(flow.connectId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(flow.location!.searchParams.get("provider")).toBe("discord");
    // Parked, not stored.
    expect(await connectionsOf(sql, alice.id, "discord")).toEqual([]);
    expect(await parkedCount(flow.connectId!)).toBe(1);
    const before = await issuedFor("discord", victim);
    expect(before.access.map((a) => a.info.valid)).toEqual([true]);
    expect(before.refresh.map((r) => r.info.state)).toEqual(["live"]);

    // The browser that finished is B's: B's page claims with B's JWT.
    const claimed = await oauthComplete(bob.token, flow.connectId);
    expect(claimed.status).toBe(403);
    expect(claimed.body.error.code).toBe("forbidden");
    expect(JSON.stringify(claimed.body)).not.toContain(victim);
    expect(await connectionsOf(sql, alice.id)).toEqual([]);
    expect(await connectionsOf(sql, bob.id)).toEqual([]);
    expect(await parkedCount(flow.connectId!)).toBe(0);
    // Revoked at the provider at once: neither token works any more.
    const after = await issuedFor("discord", victim);
    expect(after.access.map((a) => a.info.valid)).toEqual([false]);
    expect(after.refresh.map((r) => r.info.state)).toEqual(["revoked"]);

    // A, who started, cannot claim it afterwards, and has no token.
    const late = await oauthComplete(alice.token, flow.connectId);
    expect(late.status).toBe(400);
    expect(late.body.error).toEqual({ code: "invalid_request", message: '"connect" is unknown, expired or already used' });
    const token = await postJson("get-token", alice.token, { provider: "discord" });
    expect(token.status).toBe(404);
    expect((await token.json()).error.code).toBe("not_connected");
    const [audit] = await sql`
      select outcome, error_code from public.token_audit_log
      where user_id = ${alice.id} and action = 'connect' order by id desc limit 1`;
    expect(audit).toEqual({ outcome: "failure", error_code: "forbidden" });
  });

  it("a claim without a user's JWT changes nothing: the starter can still claim", async () => {
    const flow = await connect(alice.token, "spotify", { emulator: { emulator_account: `sp-${Date.now()}` }, completeWith: false });
    const { anonKey, serviceRoleKey } = await keys();
    for (const token of [undefined, anonKey, serviceRoleKey, "not-a-jwt"]) {
      const res = await callFunction("oauth-complete", {
        method: "POST", token, body: JSON.stringify({ connect: flow.connectId }), headers: { "content-type": "application/json" },
      });
      // The gateway (verify_jwt) or the function itself turns these away.
      expect(res.status).toBe(401);
    }
    expect(await parkedCount(flow.connectId!)).toBe(1);
    const ok = await oauthComplete(alice.token, flow.connectId);
    expect(ok).toMatchObject({ status: 200, body: { provider: "spotify", status: "connected" } });
  });
});

describe("oauth-complete", () => {
  it("is single use, also under concurrent claims by the starter", async () => {
    const flow = await connect(alice.token, "twitch", { emulator: { emulator_account: `tw-${Date.now()}` }, completeWith: false });
    const results = await Promise.all(Array.from({ length: 6 }, () => oauthComplete(alice.token, flow.connectId)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    expect(await connectionsOf(sql, alice.id, "twitch")).toHaveLength(1);
    expect((await oauthComplete(alice.token, flow.connectId)).status).toBe(400);
  });

  it("refuses an expired grant, stores nothing and revokes it", async () => {
    const account = `exp-${Date.now().toString(36)}`;
    const flow = await connect(alice.token, "reddit", { emulator: { emulator_account: account }, completeWith: false });
    await sql`
      update public.oauth_parked_grants set created_at = now() - interval '11 minutes', expires_at = now() - interval '1 minute'
      where connect_hash = decode(${sha256Hex(flow.connectId!)}, 'hex')`;
    const res = await oauthComplete(alice.token, flow.connectId);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(await connectionsOf(sql, alice.id, "reddit")).toEqual([]);
    expect((await issuedFor("reddit", account)).refresh.map((r) => r.info.state)).toEqual(["revoked"]);
  });

  it("answers every hostile request with a 4xx, never a 5xx", async () => {
    const cases: { body: string; status: number; code: string }[] = [
      { body: "{}", status: 400, code: "invalid_request" },
      { body: '{"connect":null}', status: 400, code: "invalid_request" },
      { body: '{"connect":42}', status: 400, code: "invalid_request" },
      { body: '{"connect":["a"]}', status: 400, code: "invalid_request" },
      { body: '{"connect":{"$ne":""}}', status: 400, code: "invalid_request" },
      { body: '{"connect":""}', status: 400, code: "invalid_request" },
      { body: JSON.stringify({ connect: "a".repeat(42) }), status: 400, code: "invalid_request" },
      { body: JSON.stringify({ connect: "a".repeat(44) }), status: 400, code: "invalid_request" },
      { body: JSON.stringify({ connect: `${"a".repeat(40)}%2f` }), status: 400, code: "invalid_request" },
      { body: JSON.stringify({ connect: `${"a".repeat(42)}'` }), status: 400, code: "invalid_request" },
      { body: JSON.stringify({ connect: "\u0000".repeat(43) }), status: 400, code: "invalid_request" },
      { body: JSON.stringify({ connect: "a".repeat(43) }), status: 400, code: "invalid_request" }, // well formed, unknown
      { body: JSON.stringify({ connect: "a".repeat(43), user_id: bob.id }), status: 400, code: "invalid_request" },
      { body: "not json", status: 400, code: "invalid_request" },
      { body: "[]", status: 400, code: "invalid_request" },
      { body: JSON.stringify({ connect: "x".repeat(5000) }), status: 413, code: "payload_too_large" },
    ];
    for (const c of cases) {
      const res = await callFunction("oauth-complete", {
        method: "POST", token: alice.token, body: c.body, headers: { "content-type": "application/json" },
      });
      const body = await res.json();
      expect({ body: c.body.slice(0, 60), status: res.status, code: body.error?.code }).toEqual({ body: c.body.slice(0, 60), status: c.status, code: c.code });
    }
    const get = await callFunction("oauth-complete", { method: "GET", token: alice.token });
    expect(get.status).toBe(405);
    const preflight = await callFunction("oauth-complete", { method: "OPTIONS", headers: { origin: "http://127.0.0.1:3999", "access-control-request-method": "POST" } });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("unclaimed grants", () => {
  it("are revoked and deleted by oauth-callback's sweep once expired; fresh ones are left alone", async () => {
    const stale = `stale-${Date.now().toString(36)}`;
    const fresh = `fresh-${Date.now().toString(36)}`;
    const old = await connect(alice.token, "google", { emulator: { emulator_account: stale }, completeWith: false });
    const young = await connect(alice.token, "google", { emulator: { emulator_account: fresh }, completeWith: false });
    await sql`
      update public.oauth_parked_grants set created_at = now() - interval '20 minutes', expires_at = now() - interval '10 minutes'
      where connect_hash = decode(${sha256Hex(old.connectId!)}, 'hex')`;
    const { serviceRoleKey } = await keys();
    const sweep = (token: string | undefined, body: string) =>
      callFunction("oauth-callback", { method: "POST", token, body, headers: { "content-type": "application/json" } });

    expect((await sweep(alice.token, '{"sweep":"expired_grants"}')).status).toBe(401);
    expect((await sweep(undefined, '{"sweep":"expired_grants"}')).status).toBe(401);
    expect((await sweep(serviceRoleKey, '{"sweep":"everything"}')).status).toBe(400);
    expect((await sweep(serviceRoleKey, '{"sweep":"expired_grants","extra":1}')).status).toBe(400);
    expect(await parkedCount(old.connectId!)).toBe(1);

    const res = await sweep(serviceRoleKey, '{"sweep":"expired_grants"}');
    expect(res.status).toBe(200);
    const summary = await res.json();
    expect(summary.swept).toBeGreaterThanOrEqual(1);
    expect(summary.revoked).toBeGreaterThanOrEqual(1);
    expect(await parkedCount(old.connectId!)).toBe(0);
    expect(await parkedCount(young.connectId!)).toBe(1);
    // Google revokes with the refresh token: the whole grant is gone.
    expect((await issuedFor("google", stale)).refresh.map((r) => r.info.state)).toEqual(["revoked"]);
    expect((await issuedFor("google", fresh)).refresh.map((r) => r.info.state)).toEqual(["live"]);
    expect((await oauthComplete(alice.token, old.connectId)).status).toBe(400);
    expect(connectedProvider({ ...young, completion: await oauthComplete(alice.token, young.connectId) })).toBe("google");
  });

  it("the pg_cron job posts the sweep to oauth-callback every 5 minutes", async () => {
    const [job] = await sql`select schedule, command from cron.job where jobname = 'revoke-expired-parked-grants'`;
    expect(job!.schedule).toBe("*/5 * * * *");
    expect(job!.command).toContain("/functions/v1/oauth-callback");
    expect(job!.command).toContain('{"sweep":"expired_grants"}');
  });
});
