import { execFileSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { SignJWT } from "jose";
import { API_URL, FUNCTIONS_URL, callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { ROOT } from "../../scripts/stack/paths.ts";

const sql = db();
afterAll(() => sql.end());

function cli(...args: string[]): string {
  return execFileSync(process.execPath, ["--import", "tsx", "scripts/stack/cli.ts", ...args], { cwd: ROOT, encoding: "utf8" });
}

describe("stack status", () => {
  it("prints the URLs and keys as `supabase status -o env` does", async () => {
    const out = cli("status", "-o", "env");
    const vars = Object.fromEntries(out.trim().split("\n").map((l) => {
      const m = /^([A-Z_]+)="(.*)"$/.exec(l)!;
      return [m[1], m[2]];
    }));
    expect(vars.API_URL).toBe("http://127.0.0.1:54321");
    expect(vars.DB_URL).toBe("postgresql://postgres:postgres@127.0.0.1:54322/postgres");
    const k = await keys();
    expect(vars.ANON_KEY).toBe(k.anonKey);
    expect(vars.SERVICE_ROLE_KEY).toBe(k.serviceRoleKey);
    expect(vars.JWT_SECRET).toBe(k.jwtSecret);
  });

  it("publishes the public signing key, never the private part", async () => {
    const res = await fetch(`${API_URL}/auth/v1/.well-known/jwks.json`);
    const body = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
    expect(body.keys[0]).not.toHaveProperty("d");
  });
});

describe("verify_jwt at the gateway", () => {
  it("answers 401 JSON without a JWT, before the function runs", async () => {
    const res = await callFunction("connections");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ code: 401, message: "Missing authorization header" });
  });

  it("answers 401 to a forged token and to alg none", async () => {
    const forged = await new SignJWT({ sub: crypto.randomUUID(), role: "authenticated", aud: "authenticated" })
      .setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-stack-secret-but-long-enough-to-sign"));
    expect((await callFunction("connections", { token: forged })).status).toBe(401);
    const none = [{ alg: "none" }, { sub: crypto.randomUUID(), role: "authenticated" }]
      .map((p) => Buffer.from(JSON.stringify(p)).toString("base64url")).join(".") + ".";
    expect((await callFunction("connections", { token: none })).status).toBe(401);
  });

  it("accepts a user JWT from `stack user`, HS256 and ES256", async () => {
    for (const alg of ["HS256", "ES256"] as const) {
      const { token } = await userToken(`stack-${alg.toLowerCase()}@example.com`, alg);
      const res = await callFunction("connections", { token });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ connections: [] });
    }
  });

  it("lets the anon key past the gateway, and the function refuses it in the contract's shape", async () => {
    const res = await callFunction("connections", { token: (await keys()).anonKey });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  it("answers CORS preflight without credentials", async () => {
    const res = await callFunction("connections", { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-headers")).toContain("apikey");
  });

  it("works through supabase-js functions.invoke, as a frontend calls it", async () => {
    const { token } = await userToken("stack-supabase-js@example.com");
    const supabase = createClient(API_URL, (await keys()).anonKey, {
      global: { headers: { Authorization: `Bearer ${token}` } },
      auth: { persistSession: false, autoRefreshToken: false },
      // Node 20 has no global WebSocket; supabase-js needs one for realtime even when it is unused.
      realtime: { transport: WebSocket as never },
    });
    const { data, error } = await supabase.functions.invoke("connections", { method: "GET" });
    expect(error).toBeNull();
    expect(data).toEqual({ connections: [] });
  });
});

describe("stand-ins", () => {
  let server: http.Server;
  let url = "";
  const received: { method: string; body: string; auth: string | undefined }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ method: req.method!, body, auth: req.headers.authorization });
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ seen: received.length }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Polls net._http_response for the request's answer, as a caller of pg_net does. */
  async function responseOf(id: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await sql`select status_code, content, timed_out, error_msg from net._http_response where id = ${id}`;
      if (row) return row;
      if (Date.now() > deadline) throw new Error(`no response for pg_net request ${id} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("net.http_post queues the request; the worker sends it and the response lands in net._http_response", async () => {
    const before = received.length;
    const [{ id }] = (await sql<{ id: string }[]>`
      select net.http_post(
        url := ${url}, body := '{"hello":"world"}'::jsonb,
        headers := '{"Content-Type":"application/json","Authorization":"Bearer abc"}'::jsonb) as id`) as unknown as [{ id: string }];
    const row = await responseOf(id);
    expect(row).toMatchObject({ status_code: 201, timed_out: false });
    const mine = received.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ method: "POST", auth: "Bearer abc" });
    expect(JSON.parse(mine[0]!.body)).toEqual({ hello: "world" });
    expect(JSON.parse(row.content as string)).toEqual({ seen: before + 1 });
    const [queued] = await sql`select count(*)::int as n from net.http_request_queue where id = ${id}`;
    expect(queued!.n).toBe(0);
  });

  it("sends nothing before the calling transaction commits", async () => {
    const before = received.length;
    let id = "";
    await sql.begin(async (tx) => {
      [{ id }] = (await tx<{ id: string }[]>`select net.http_post(url := ${url}, body := '{"n":"after-commit"}'::jsonb) as id`) as unknown as [{ id: string }];
      await sleep(2_500);
      expect(received.length).toBe(before);
    });
    const row = await responseOf(id);
    expect(row).toMatchObject({ status_code: 201 });
    expect(received.slice(before).map((r) => JSON.parse(r.body))).toEqual([{ n: "after-commit" }]);
  });

  it("a rolled-back transaction sends nothing and leaves no trace", async () => {
    const before = received.length;
    let id = "";
    await sql.begin(async (tx) => {
      [{ id }] = (await tx<{ id: string }[]>`select net.http_post(url := ${url}, body := '{"n":"rolled-back"}'::jsonb) as id`) as unknown as [{ id: string }];
      await tx`select 1/0`;
    }).catch(() => {});
    expect(id).not.toBe("");
    // Longer than the worker's poll interval, twice over.
    await sleep(2_500);
    expect(received.slice(before)).toEqual([]);
    const [counts] = await sql`
      select (select count(*) from net.http_request_queue where id = ${id})::int as queued,
             (select count(*) from net._http_response where id = ${id})::int as answered`;
    expect(counts).toEqual({ queued: 0, answered: 0 });
  });

  it("a request that cannot be sent gets an error row, and the worker carries on with the others", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise<void>((r) => closed.close(() => r()));
    const before = received.length;
    const ids = (await sql<{ id: string }[]>`
      select net.http_post(url := 'not a url') as id
      union all select net.http_get(url := 'ftp://127.0.0.1/file')
      union all select net.http_post(url := ${refusedUrl})
      union all select net.http_post(url := ${url}, headers := ${sql.json({ "X-Bad": "line\r\nInjected: yes" })}::jsonb)
      union all select net.http_post(url := ${url}, body := '{"n":"still-sent"}'::jsonb)`).map((r) => r.id);
    const rows = await Promise.all(ids.map((id) => responseOf(id)));
    for (const row of rows.slice(0, 4)) {
      expect(row).toMatchObject({ status_code: null, timed_out: false });
      expect(row.error_msg).toEqual(expect.any(String));
    }
    expect(rows[4]).toMatchObject({ status_code: 201 });
    expect(received.slice(before).map((r) => JSON.parse(r.body))).toEqual([{ n: "still-sent" }]);
  });

  it("net.http_post records a timeout instead of hanging", async () => {
    const slow = http.createServer(() => { /* never answers */ });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const port = (slow.address() as AddressInfo).port;
    const [{ id }] = (await sql<{ id: string }[]>`
      select net.http_post(url := ${`http://127.0.0.1:${port}/`}, timeout_milliseconds := 300) as id`) as unknown as [{ id: string }];
    const row = await responseOf(id);
    expect(row).toMatchObject({ status_code: null, timed_out: true, error_msg: "Timeout of 300 ms reached" });
    slow.closeAllConnections();
    await new Promise<void>((r) => slow.close(() => r()));
  });

  it("a pg_cron job runs on its schedule and can call out through net.http_post", async () => {
    const before = received.length;
    const command = `select net.http_post(url := '${url}', body := '{"from":"pg_cron"}'::jsonb)`;
    await sql`select cron.schedule('stack-test-tick', '* * * * *', ${command})`;
    try {
      const deadline = Date.now() + 75_000;
      while (Date.now() < deadline && !received.slice(before).some((r) => r.body.includes("pg_cron"))) {
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(received.slice(before).some((r) => JSON.parse(r.body).from === "pg_cron")).toBe(true);
      const runs = await sql`
        select d.status from cron.job_run_details d join cron.job j using (jobid)
        where j.jobname = 'stack-test-tick'`;
      expect(runs.some((r) => r.status === "succeeded")).toBe(true);
    } finally {
      await sql`select cron.unschedule('stack-test-tick')`;
    }
  }, 90_000);
});

describe("function supervision", () => {
  it("a function process killed with SIGKILL shows in status and comes back", async () => {
    const status = async () => {
      const res = await fetch(`${API_URL}/_stack/status`);
      const body = (await res.json()) as { functions: { name: string; workers: { pid: number; state: string; restarts: number }[] }[] };
      return body.functions.find((f) => f.name === "connections")!.workers[0]!;
    };
    const before = await status();
    expect(before.state).toBe("ready");
    process.kill(before.pid, "SIGKILL");
    const deadline = Date.now() + 30_000;
    let seenDown = false;
    let after = await status();
    while (Date.now() < deadline) {
      after = await status();
      if (after.pid !== before.pid && after.state !== "ready") seenDown = true;
      if (after.state === "ready" && after.pid !== before.pid) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBeGreaterThan(before.restarts);
    expect(after.state).toBe("ready");
    void seenDown;
    const { token } = await userToken("stack-restart@example.com");
    expect((await fetch(`${FUNCTIONS_URL}/connections`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});
