/**
 * Identity checked, not trusted: QuickBooks `realmId` and Lightspeed `domain_prefix` arrive as unsigned query
 * parameters on the callback; the callback confirms them with the new token at the provider (companyinfo,
 * retailer) before anything is parked, and a tampered one is `account_mismatch` with the grant revoked. Xero:
 * one connection per grant, for the tenant oauth-start named or the first Xero lists, every tenant recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, userToken } from "../helpers/stack.ts";
import { connect, connectedProvider, connectionsOf, emulatorControl, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };
const run = Date.now().toString(36);

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-identity"));
});
afterAll(() => sql.end());

const parkedFor = async (userId: string) =>
  (await sql<{ n: number }[]>`select count(*)::int as n from public.oauth_parked_grants where user_id = ${userId}`)[0]!.n;

async function accessStateOf(provider: string, account: string): Promise<boolean[]> {
  const issued = await emulatorControl<{ access_tokens: string[] }>(`/issued?provider=${provider}`);
  const states: boolean[] = [];
  for (const t of issued.access_tokens) {
    const info = (await emulatorControl(`/token?token=${encodeURIComponent(t)}`)).access;
    if (info?.account === account) states.push(info.valid);
  }
  return states;
}

describe.each([
  ["quickbooks", "realmId"],
  ["lightspeed", "domain_prefix"],
])("%s %s", (provider, param) => {
  it("a tampered value is account_mismatch: nothing parked or stored, the new grant revoked", async () => {
    const mine = `${provider.slice(0, 2)}-mine-${run}`;
    const flow = await connect(user.token, provider, {
      emulator: { emulator_account: mine },
      tamper: (url) => url.searchParams.set(param, `${provider.slice(0, 2)}-victim-${run}`),
    });
    expect(flow.response.status).toBe(302);
    expect(Object.fromEntries(flow.location!.searchParams)).toEqual({ error: "account_mismatch" });
    expect(await connectionsOf(sql, user.id, provider)).toEqual([]);
    expect(await parkedFor(user.id)).toBe(0);
    // QuickBooks revokes the grant; Lightspeed has no revocation call, so its token is only forgotten.
    expect(await accessStateOf(provider, mine)).toEqual([provider === "lightspeed"]);
  });

  it("a value that cannot be an account id is callback_invalid", async () => {
    const flow = await connect(user.token, provider, {
      emulator: { emulator_account: `${provider.slice(0, 2)}-odd-${run}` },
      tamper: (url) => url.searchParams.set(param, "../../admin?x=1"),
    });
    expect(Object.fromEntries(flow.location!.searchParams)).toEqual({ error: "callback_invalid" });
    expect(await connectionsOf(sql, user.id, provider)).toEqual([]);
  });

  it("the genuine value is confirmed and connects", async () => {
    const account = `${provider.slice(0, 2)}-ok-${run}`;
    const flow = await connect(user.token, provider, { emulator: { emulator_account: account } });
    expect(connectedProvider(flow)).toBe(provider);
    expect(flow.completion!.body.account).toBe(account);
  });
});

describe("xero with several organisations", () => {
  const own = `org-own-${run}`;
  const second = `org-two-${run}`;
  const third = `org-three-${run}`;

  it("is one connection for the first organisation Xero lists, with every tenant recorded", async () => {
    const flow = await connect(user.token, "xero", { emulator: { emulator_account: own, emulator_tenants: `${second},${third}` } });
    expect(flow.completion).toEqual({ status: 200, body: { provider: "xero", account: own, status: "connected" } });
    const rows = await connectionsOf(sql, user.id, "xero");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.metadata).toEqual({ tenant: own, tenants: `${own},${second},${third}` });
  });

  it("is the organisation oauth-start named, when the grant reaches it", async () => {
    const account = `${second}-b`;
    const flow = await connect(user.token, "xero", {
      account, emulator: { emulator_account: `${own}-b`, emulator_tenants: account },
    });
    expect(flow.completion!.body).toEqual({ provider: "xero", account, status: "connected" });
  });

  it("refuses a grant that does not reach the organisation oauth-start named", async () => {
    const flow = await connect(user.token, "xero", { account: "org-not-granted", emulator: { emulator_account: `${own}-c`, emulator_tenants: `${third}-c` } });
    expect(Object.fromEntries(flow.location!.searchParams)).toEqual({ error: "account_mismatch" });
    expect((await connectionsOf(sql, user.id, "xero")).map((r) => r.account_id)).not.toContain("org-not-granted");
    expect(await accessStateOf("xero", `${own}-c`)).toEqual([false]);
  });
});
