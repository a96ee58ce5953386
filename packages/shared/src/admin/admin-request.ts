import { ApiError } from "../http/api-error.ts";
import { isUuid, optionalString, rejectUnknownFields, requiredString } from "../http/fields.ts";
import { PROVIDER_IDS } from "../providers/provider-ids.ts";
import { CONNECTION_STATUSES, type ConnectionStatus } from "../engine/transitions.ts";

/**
 * Parsers of token-admin's routes, query strings and bodies: pure functions that name the exact field at
 * fault (`invalid_request`) and bound every value, so hostile input never reaches SQL unchecked.
 */

/** `failing`: any live connection that needs attention (failures, expired, needs_reauth, error). */
export type StatusFilter = ConnectionStatus | "failing";
const STATUS_FILTERS: readonly string[] = [...CONNECTION_STATUSES, "failing"];

/**
 * The path segments after the function's name: `/functions/v1/token-admin/runs` and `/token-admin/runs` (as
 * the edge runtime passes it) both give `["runs"]`. Throws `not_found` when the path is not under `fn`.
 */
export function adminRoute(pathname: string, fn = "token-admin"): string[] {
  const parts = pathname.split("/").filter((p) => p !== "");
  const at = parts.indexOf(fn);
  if (at < 0) throw new ApiError("not_found", "no such route");
  const route = parts.slice(at + 1);
  if (route.length > 8 || route.some((p) => p.length > 128)) throw new ApiError("not_found", "no such route");
  try {
    return route.map((p) => decodeURIComponent(p));
  } catch {
    throw new ApiError("not_found", "no such route");
  }
}

function rejectUnknownParams(query: URLSearchParams, allowed: readonly string[]): void {
  for (const key of new Set(query.keys())) {
    if (!allowed.includes(key)) throw new ApiError("invalid_request", `"${key.slice(0, 64)}" is not a known parameter`);
    if (query.getAll(key).length > 1) throw new ApiError("invalid_request", `"${key.slice(0, 64)}" is given more than once`);
  }
}

function intParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,6}$/.test(raw)) throw new ApiError("invalid_request", `"${name}" must be an integer from ${min} to ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ApiError("invalid_request", `"${name}" must be an integer from ${min} to ${max}`);
  return n;
}

function providerValue(value: string | null | undefined, field = "provider"): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (!(PROVIDER_IDS as readonly string[]).includes(value)) throw new ApiError("invalid_request", `"${field}" is not a known provider`);
  return value;
}

function statusValue(value: string | null | undefined, field = "status"): StatusFilter | undefined {
  if (value === null || value === undefined) return undefined;
  if (!STATUS_FILTERS.includes(value)) throw new ApiError("invalid_request", `"${field}" must be one of ${STATUS_FILTERS.join(", ")}`);
  return value as StatusFilter;
}

export interface ConnectionsQuery {
  provider?: string;
  status?: StatusFilter;
  limit: number;
  /** Keyset pagination: connections whose id sorts after this one. */
  after?: string;
}

/** `GET connections?provider=&status=&limit=(1..500, default 100)&after=<id>` */
export function parseConnectionsQuery(query: URLSearchParams): ConnectionsQuery {
  rejectUnknownParams(query, ["provider", "status", "limit", "after"]);
  const after = query.get("after") ?? undefined;
  if (after !== undefined && !isUuid(after)) throw new ApiError("invalid_request", '"after" must be a connection id (UUID)');
  const provider = providerValue(query.get("provider"));
  const status = statusValue(query.get("status"));
  return {
    ...(provider ? { provider } : {}),
    ...(status ? { status } : {}),
    limit: intParam(query, "limit", 1, 500, 100),
    ...(after ? { after: after.toLowerCase() } : {}),
  };
}

/** `POST refresh { connection_id }` */
export function parseRefreshBody(body: Record<string, unknown>): { connectionId: string } {
  rejectUnknownFields(body, ["connection_id"]);
  const id = requiredString(body, "connection_id", 64);
  if (!isUuid(id)) throw new ApiError("invalid_request", '"connection_id" must be a UUID');
  return { connectionId: id.toLowerCase() };
}

export interface RefreshManyFilter {
  provider?: string;
  status?: StatusFilter;
  /** At most this many connections (1..10,000; default 10,000), soonest to expire first. */
  limit?: number;
}

/** `POST refresh-many { provider?, status?, limit? }`, at least one of provider and status. */
export function parseRefreshManyBody(body: Record<string, unknown>): RefreshManyFilter {
  rejectUnknownFields(body, ["provider", "status", "limit"]);
  const limit = body["limit"];
  if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
    throw new ApiError("invalid_request", '"limit" must be an integer from 1 to 10000');
  }
  const provider = providerValue(optionalString(body, "provider", 64));
  const status = statusValue(optionalString(body, "status", 32));
  if (!provider && !status) throw new ApiError("invalid_request", 'one of "provider" or "status" is required');
  if (status === "disconnected") throw new ApiError("invalid_request", '"status" cannot be disconnected: a disconnected connection has no tokens');
  return { ...(provider ? { provider } : {}), ...(status ? { status } : {}), ...(limit !== undefined ? { limit } : {}) };
}

/** `GET runs?limit=(1..200, default 20)` */
export function parseRunsQuery(query: URLSearchParams): { limit: number } {
  rejectUnknownParams(query, ["limit"]);
  return { limit: intParam(query, "limit", 1, 200, 20) };
}

/** `GET activity?hours=(1..168, default 24)` */
export function parseActivityQuery(query: URLSearchParams): { hours: number } {
  rejectUnknownParams(query, ["hours"]);
  return { hours: intParam(query, "hours", 1, 168, 24) };
}
