/**
 * The pg_net stand-in's background worker (see scripts/stack/stand-ins/05-pg-net.sql). pg_net sends queued
 * requests from a Postgres background worker after the enqueuing transaction commits; Debian has no pg_net,
 * so the stack's supervisor (the gateway process) runs this loop instead. It wakes on the NOTIFY that a commit
 * delivers and polls once a second as a backstop, takes up to 200 queued requests at a time (deleting them
 * from net.http_request_queue, so each is sent at most once, as pg_net does), sends them concurrently, and
 * writes each answer, timeout or error to net._http_response. Responses older than six hours are deleted,
 * pg_net's default `pg_net.ttl`.
 */
import postgres from "postgres";

const BATCH = 200;
const POLL_MS = 1_000;
const TTL = "6 hours";

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
  timeout_milliseconds: number;
}

interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

async function send(r: QueuedRequest): Promise<ResponseRow> {
  const timeoutMs = Math.max(1, r.timeout_milliseconds);
  try {
    const res = await fetch(r.url, {
      method: r.method,
      headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, String(v)])),
      body: r.method === "GET" || r.body === null ? undefined : new Uint8Array(r.body),
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const content = await res.text();
    return {
      id: r.id, status_code: res.status, content_type: res.headers.get("content-type"),
      headers: Object.fromEntries(res.headers), content, timed_out: false, error_msg: null,
    };
  } catch (err) {
    const e = err as Error & { cause?: { message?: string } };
    const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
    return {
      id: r.id, status_code: null, content_type: null, headers: null, content: null, timed_out: timedOut,
      error_msg: timedOut ? `Timeout of ${timeoutMs} ms reached` : (e.cause?.message ?? e.message),
    };
  }
}

export interface PgNetWorker {
  stop(): Promise<void>;
}

export function startPgNetWorker(dbUrl: string, log: (line: string) => void): PgNetWorker {
  const sql = postgres(dbUrl, { max: 2, onnotice: () => {}, connection: { application_name: "pg_net stand-in worker" } });
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let lastError = "";
  let lastPurge = 0;

  async function drain(): Promise<void> {
    for (;;) {
      const batch = await sql<QueuedRequest[]>`
        delete from net.http_request_queue
        where id in (select id from net.http_request_queue order by id limit ${BATCH} for update skip locked)
        returning id, method, url, headers, body, timeout_milliseconds`;
      if (batch.length === 0) break;
      const rows = await Promise.all(batch.map(send));
      await sql`insert into net._http_response ${sql(rows.map((r) => ({
        ...r, headers: r.headers === null ? null : sql.json(r.headers),
      })), "id", "status_code", "content_type", "headers", "content", "timed_out", "error_msg")}`;
    }
    if (Date.now() - lastPurge > 60_000) {
      lastPurge = Date.now();
      await sql`delete from net._http_response where created < now() - ${TTL}::interval`;
    }
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .then(() => { lastError = ""; })
      .catch((err: unknown) => {
        // The database restarting (stack reset) or not yet migrated: say it once, try again on the next poll.
        const message = (err as Error).message;
        if (message !== lastError) log(`pg_net stand-in: ${message}`);
        lastError = message;
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  const timer = setInterval(kick, POLL_MS);
  sql.listen("net_http_request_queue", kick, kick).catch((err: unknown) => log(`pg_net stand-in: listen failed: ${(err as Error).message}`));
  kick();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await sql.end({ timeout: 2 });
    },
  };
}
