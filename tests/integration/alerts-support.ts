/** What the alerts tests share: a webhook receiver on loopback and helpers around the outbox. */
import http from "node:http";
import type postgres from "postgres";
import { handleAlertsAdmin } from "../../packages/shared/src/alerts/admin-routes.ts";
import { functionKeyRing } from "../helpers/connections.ts";
import { callFunction, keys } from "../helpers/stack.ts";

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * An HTTP server on 127.0.0.1 that records every request and answers with the next planned status (200 once
 * the plan is used up); `delayMs` holds an answer back.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const plan: { status: number; delayMs?: number; headers?: Record<string, string> }[] = [];
  const load = { inFlight: 0, max: 0 };
  const server = http.createServer((req, res) => {
    load.inFlight += 1;
    load.max = Math.max(load.max, load.inFlight);
    res.on("close", () => (load.inFlight -= 1));
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({
        path: req.url ?? "", at: Date.now(), body: Buffer.concat(chunks).toString("utf8"),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      });
      const next = plan.shift() ?? { status: 200 };
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(next.status, { "content-type": "text/plain", ...next.headers });
        res.end("ok");
      }, next.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    received,
    plan,
    /** Requests being answered now, and the most at once. */
    load,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Adds an endpoint through the admin route, as token-admin does. */
export async function addEndpoint(sql: postgres.Sql, body: Record<string, unknown>) {
  const res = await handleAlertsAdmin(sql, { method: "POST", route: ["webhooks"], query: new URLSearchParams(), body }, await functionKeyRing());
  if (res?.status !== 201) throw new Error(`POST webhooks: ${JSON.stringify(res)}`);
  return res.body as { endpoint: { id: string }; secret: string };
}

/** One direct delivery run through the stack (as the schedule's call, without respond-async). */
export async function deliverNow(): Promise<Record<string, number>> {
  const res = await callFunction("deliver-webhooks", { method: "POST", body: "{}", token: (await keys()).serviceRoleKey });
  if (res.status !== 200) throw new Error(`deliver-webhooks: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs deliveries until `done` holds (or the time is up). */
export async function deliverUntil(done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error("deliveries did not finish in time");
    await deliverNow();
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function resetAlerts(sql: postgres.Sql): Promise<void> {
  await sql`delete from public.webhook_endpoints`;
  await sql`delete from public.webhook_events`;
  await sql`delete from public.provider_alert_state`;
}

/** The schedule of deliver-webhooks off (or on again), so only the test's own calls deliver. */
export async function setDeliveryScheduleActive(sql: postgres.Sql, active: boolean): Promise<void> {
  await sql`select cron.alter_job(jobid, active := ${active}) from cron.job where jobname = 'deliver-webhooks'`;
}
