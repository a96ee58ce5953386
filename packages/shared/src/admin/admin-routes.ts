import type { Sql } from "../db/create-sql.ts";
import { ApiError } from "../http/api-error.ts";
import type { EngineDeps } from "../engine/engine-deps.ts";
import { activity, listConnections, recentRuns } from "./admin-queries.ts";
import {
  parseActivityQuery, parseConnectionsQuery, parseRefreshBody, parseRefreshManyBody, parseRunsQuery,
} from "./admin-request.ts";
import { refreshConnectionNow, refreshMany } from "./refresh-admin.ts";

/** One token-admin request, already authenticated as an admin. */
export interface AdminRequest {
  method: string;
  /** Path segments after the function's name. */
  route: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export interface AdminAnswer {
  status: number;
  body: unknown;
}

/** Routes another module serves under token-admin (the webhook routes): null for a route it does not own. */
export type AdminRoutes = (sql: Sql, req: { method: string; route: string[]; query: URLSearchParams; body: unknown }) => Promise<AdminAnswer | null>;

const OWN: Record<string, string> = {
  connections: "GET", refresh: "POST", "refresh-many": "POST", runs: "GET", activity: "GET",
};

/**
 * Routes a token-admin request: its own routes (connections, refresh, refresh-many, runs, activity), then
 * each of `more` in turn; `404 not_found` when nobody owns the route, `405` for a known route's wrong method.
 */
export async function handleAdmin(deps: EngineDeps, req: AdminRequest, more: readonly AdminRoutes[] = []): Promise<AdminAnswer> {
  const [head, ...rest] = req.route;
  const own = head !== undefined && rest.length === 0 ? OWN[head] : undefined;
  if (own !== undefined) {
    if (req.method !== own) throw new ApiError("method_not_allowed", `${head} takes ${own}`, {}, { allow: `${own}, OPTIONS` });
    switch (head) {
      case "connections":
        return { status: 200, body: await listConnections(deps.sql, parseConnectionsQuery(req.query)) };
      case "refresh":
        onlyBody(req);
        return { status: 200, body: await refreshConnectionNow(deps, parseRefreshBody(req.body).connectionId) };
      case "refresh-many":
        onlyBody(req);
        return { status: 200, body: await refreshMany(deps, parseRefreshManyBody(req.body)) };
      case "runs":
        return { status: 200, body: await recentRuns(deps.sql, parseRunsQuery(req.query).limit) };
      case "activity":
        return { status: 200, body: await activity(deps.sql, parseActivityQuery(req.query).hours) };
    }
  }
  for (const routes of more) {
    const answer = await routes(deps.sql, req);
    if (answer) return answer;
  }
  throw new ApiError("not_found", "no such route");
}

function onlyBody(req: AdminRequest): void {
  if ([...req.query.keys()].length > 0) throw new ApiError("invalid_request", "parameters go in the JSON body, not the query string");
}
