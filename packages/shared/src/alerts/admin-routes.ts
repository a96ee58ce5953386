import type { KeyRing } from "../crypto/key-ring.ts";
import type { Sql } from "../db/create-sql.ts";
import { textArray } from "../db/text-array.ts";
import { parseWebhookEvents, parseWebhookFormat, parseWebhookUrl, WebhookInputError } from "./webhook-endpoint-input.ts";
import { encryptWebhookSecret, generateWebhookSecret, webhookSecretKey } from "./webhook-secret.ts";

/** A token-admin request, already authenticated as the service role or an admin. */
export interface AdminRequest {
  method: string;
  /** The path after the function name, split on "/": `["webhooks", "<id>", "test"]`. */
  route: string[];
  query: URLSearchParams;
  body: unknown;
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DELIVERY_STATUSES = ["pending", "delivered", "failed", "dead"];

const bad = (message: string): AdminResponse => ({ status: 400, body: { error: { code: "invalid_request", message } } });
const notFound = (message: string): AdminResponse => ({ status: 404, body: { error: { code: "not_found", message } } });
const methodNotAllowed = (allow: string): AdminResponse => ({
  status: 405, body: { error: { code: "method_not_allowed", message: `method must be ${allow}` } },
});

function uuidOf(value: string | undefined | null, field: string): string {
  if (typeof value !== "string" || !UUID.test(value)) throw new WebhookInputError(field, `"${field}" must be a UUID`);
  return value.toLowerCase();
}

function objectBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw new WebhookInputError("body", '"body" must be a JSON object');
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) throw new WebhookInputError(k, `"${k}" is not a known field (expected ${allowed.join(", ")})`);
  }
  return body as Record<string, unknown>;
}

const ENDPOINT_COLUMNS = "id, url, format, events, enabled, disabled_reason, created_at, last_success_at, consecutive_failures";

interface EndpointRow {
  id: string; url: string; format: string; events: string[] | null; enabled: boolean; disabled_reason: string | null;
  created_at: Date; last_success_at: Date | null; consecutive_failures: number;
}

const endpointOut = (r: EndpointRow) => ({
  id: r.id, url: r.url, format: r.format, events: r.events, enabled: r.enabled, disabled_reason: r.disabled_reason,
  created_at: new Date(r.created_at).toISOString(),
  last_success_at: r.last_success_at ? new Date(r.last_success_at).toISOString() : null,
  consecutive_failures: r.consecutive_failures,
});

/**
 * The alert routes of token-admin (webhook endpoints and deliveries): validation and data access only, the
 * caller has authenticated the request. Returns null for a route it does not own. Never returns a stored
 * secret: a new endpoint's secret is shown once, in the answer that creates it.
 *
 * `ring` (the token key ring) encrypts new endpoints' secrets.
 */
export async function handleAlertsAdmin(sql: Sql, req: AdminRequest, ring: KeyRing): Promise<AdminResponse | null> {
  const [head, id, action, ...rest] = req.route;
  if (head !== "webhooks" && head !== "deliveries") return null;
  try {
    if (rest.length > 0) return notFound("no such route");
    if (head === "webhooks") {
      if (id === undefined) {
        if (req.method === "GET") return await listEndpoints(sql);
        if (req.method === "POST") return await createEndpoint(sql, ring, req.body);
        return methodNotAllowed("GET or POST");
      }
      const endpointId = uuidOf(id, "id");
      if (action === undefined) {
        if (req.method !== "DELETE") return methodNotAllowed("DELETE");
        const gone = await sql`delete from public.webhook_endpoints where id = ${endpointId} returning id`;
        return gone.length ? { status: 200, body: { removed: true } } : notFound("no webhook endpoint with this id");
      }
      if (action === "test") {
        if (req.method !== "POST") return methodNotAllowed("POST");
        objectBody(req.body, []);
        return await testEndpoint(sql, endpointId);
      }
      return notFound("no such route");
    }
    if (id === undefined) {
      if (req.method !== "GET") return methodNotAllowed("GET");
      return await listDeliveries(sql, req.query);
    }
    const deliveryId = uuidOf(id, "id");
    if (action !== "replay") return notFound("no such route");
    if (req.method !== "POST") return methodNotAllowed("POST");
    objectBody(req.body, []);
    return await replay(sql, deliveryId);
  } catch (err) {
    if (err instanceof WebhookInputError) return bad(err.message);
    throw err;
  }
}

async function listEndpoints(sql: Sql): Promise<AdminResponse> {
  const rows = await sql<EndpointRow[]>`select ${sql.unsafe(ENDPOINT_COLUMNS)} from public.webhook_endpoints order by created_at, id`;
  return { status: 200, body: { endpoints: rows.map(endpointOut) } };
}

async function createEndpoint(sql: Sql, ring: KeyRing, body: unknown): Promise<AdminResponse> {
  const b = objectBody(body, ["url", "format", "events", "secret"]);
  const url = parseWebhookUrl(b.url);
  const format = parseWebhookFormat(b.format);
  const events = parseWebhookEvents(b.events);
  let secret: string;
  if (b.secret === undefined || b.secret === null) secret = generateWebhookSecret();
  else {
    if (typeof b.secret !== "string") throw new WebhookInputError("secret", '"secret" must be "whsec_" followed by base64 of 16 to 64 bytes');
    try {
      webhookSecretKey(b.secret);
    } catch {
      throw new WebhookInputError("secret", '"secret" must be "whsec_" followed by base64 of 16 to 64 bytes');
    }
    secret = b.secret;
  }
  const id = crypto.randomUUID();
  const envelope = await encryptWebhookSecret(ring, id, secret);
  const [row] = await sql<EndpointRow[]>`
    insert into public.webhook_endpoints (id, url, secret, encryption_key_id, format, events)
    values (${id}, ${url}, ${envelope}, ${ring.primaryKeyId}, ${format}, ${events === null ? null : textArray(sql, events)})
    returning ${sql.unsafe(ENDPOINT_COLUMNS)}`;
  return { status: 201, body: { endpoint: endpointOut(row!), secret } };
}

async function testEndpoint(sql: Sql, endpointId: string): Promise<AdminResponse> {
  const rows = await sql<{ id: string }[]>`
    with endpoint as (select id from public.webhook_endpoints where id = ${endpointId}),
    event as (
      insert into public.webhook_events (type, payload)
      select 'webhook.test', jsonb_build_object(
        'type', 'webhook.test',
        'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'data', jsonb_build_object('endpoint_id', endpoint.id))
      from endpoint
      returning id
    )
    insert into public.webhook_deliveries (event_id, endpoint_id)
    select event.id, ${endpointId} from event
    returning id`;
  return rows.length ? { status: 200, body: { delivery_id: rows[0]!.id } } : notFound("no webhook endpoint with this id");
}

async function listDeliveries(sql: Sql, query: URLSearchParams): Promise<AdminResponse> {
  for (const k of query.keys()) {
    if (!["endpoint", "status", "limit"].includes(k)) throw new WebhookInputError(k, `"${k}" is not a known parameter (expected endpoint, status, limit)`);
  }
  const endpoint = query.has("endpoint") ? uuidOf(query.get("endpoint"), "endpoint") : null;
  const status = query.get("status");
  if (status !== null && !DELIVERY_STATUSES.includes(status)) {
    throw new WebhookInputError("status", `"status" must be one of ${DELIVERY_STATUSES.join(", ")}`);
  }
  const limitText = query.get("limit") ?? "100";
  if (!/^[0-9]{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 500) {
    throw new WebhookInputError("limit", '"limit" must be an integer from 1 to 500');
  }
  const rows = await sql<Record<string, unknown>[]>`
    select d.id, d.endpoint_id, ev.type as event_type, d.event_id, d.status, d.attempts, d.next_attempt_at,
           d.last_status_code, d.last_error, d.created_at, d.delivered_at
    from public.webhook_deliveries as d
    join public.webhook_events as ev on ev.id = d.event_id
    where (${endpoint}::uuid is null or d.endpoint_id = ${endpoint}::uuid)
      and (${status}::text is null or d.status = ${status}::text)
    order by d.created_at desc, d.id
    limit ${Number(limitText)}`;
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    status: 200,
    body: {
      deliveries: rows.map((r) => ({
        ...r, next_attempt_at: iso(r.next_attempt_at), created_at: iso(r.created_at), delivered_at: iso(r.delivered_at),
      })),
    },
  };
}

async function replay(sql: Sql, deliveryId: string): Promise<AdminResponse> {
  const rows = await sql<{ id: string }[]>`
    insert into public.webhook_deliveries (event_id, endpoint_id)
    select d.event_id, d.endpoint_id from public.webhook_deliveries as d where d.id = ${deliveryId}
    returning id`;
  return rows.length ? { status: 200, body: { delivery_id: rows[0]!.id } } : notFound("no delivery with this id");
}
