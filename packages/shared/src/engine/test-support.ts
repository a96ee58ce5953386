/**
 * Helpers for this folder's unit tests only (imported by `*.test.ts`, never by runtime code): an in-memory
 * stand-in for the SQL functions the engine's store calls (connection-store.ts), on a clock the test moves.
 * It keeps the rules the engine relies on (a lease is exclusive until it lapses by the clock; a save is a
 * compare-and-set on lease owner and version); real concurrency and the real functions are the integration
 * tests' business.
 */
import { encryptConnectionTokens } from "../crypto/connection-tokens.ts";
import type { Sql } from "../db/create-sql.ts";
import { parseKeyRing, type KeyRing } from "../crypto/key-ring.ts";
import { HEX_K1 } from "../crypto/test-keys.ts";
import { createLogger } from "../log/logger.ts";
import { TEST_ENV } from "../oauth/test-support.ts";
import type { ConnectionRow } from "./connection-store.ts";
import type { EngineDeps } from "./engine-deps.ts";

export const T0 = Date.parse("2026-12-02T12:00:00Z");

/** A row of the fake table: the connection plus its lease owner. */
export interface FakeRow extends ConnectionRow {
  lease_owner: string | null;
}

/** A row of the fake audit log. */
export interface FakeAudit {
  connection_id: string | null;
  action: string;
  outcome: string;
  duration_ms: number | null;
}

export interface FakeStore {
  rows: Map<string, FakeRow>;
  /** SQL function calls in order, by name, with their parameters. */
  calls: { fn: string; params: unknown[] }[];
  /** Audit rows written (by log_token_event, or by a save given an audit duration). */
  audit: FakeAudit[];
  /** Connections that have a parked set (reported as `has_pending` by the refresh claim). */
  parked: Set<string>;
  /** Runs before each call (e.g. to move the clock while a caller waits). */
  onCall?: (fn: string) => void;
}

export interface Clock {
  now: () => number;
  advance: (ms: number) => void;
  set: (ms: number) => void;
}

export function fakeClock(start = T0): Clock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) };
}

// The function a statement calls: the one it selects from, else the first it names.
const SELECTED = /from provider_tokens\.(\w+)\s*\(/;
const NAMED = /provider_tokens\.(\w+)\s*\(/;

/** A tagged-template `Sql` over `store`, whose leases lapse by `clock`. */
export function fakeSql(store: FakeStore, clock: Clock): Sql {
  const sql = (strings: TemplateStringsArray, ...values: unknown[]) => {
    const text = strings.join("?");
    const params = values.filter((v) => !(typeof v === "object" && v !== null && "unsafe" in v));
    const fn = (SELECTED.exec(text) ?? NAMED.exec(text))?.[1]
      ?? (text.includes("public.refresh_runs") ? "refresh_runs" : undefined)
      ?? (text.includes("from public.platform_connections") ? "select_connection" : text.trim().split(/\s+/).slice(0, 4).join(" "));
    store.onCall?.(fn);
    store.calls.push({ fn, params });
    return Promise.resolve(run(store, clock, fn, text, params));
  };
  // A fragment (`sql.unsafe(text)` inside a template), or a whole statement with its parameters.
  (sql as unknown as { unsafe: (s: string, params?: unknown[]) => unknown }).unsafe = (s: string, params?: unknown[]) => {
    if (!params) return { unsafe: s };
    return sql(Object.assign([s], { raw: [s] }) as unknown as TemplateStringsArray, ...params);
  };
  return sql as unknown as Sql;
}

function run(store: FakeStore, clock: Clock, fn: string, text: string, p: unknown[]): unknown[] {
  const now = clock.now();
  const row = (id: unknown) => store.rows.get(id as string);
  const held = (r: FakeRow | undefined, owner: unknown) => r !== undefined && r.lease_owner === owner && (r.lease_expires_at?.getTime() ?? 0) > now;
  switch (fn) {
    case "select_connection": {
      if (text.includes("where id =")) {
        const r = row(p[0]);
        return r ? [publicRow(r)] : [];
      }
      const [userId, provider, account] = p;
      return [...store.rows.values()]
        .filter((r) => r.user_id === userId && r.provider === provider && (account === undefined ? r.status !== "disconnected" : r.account_id === account))
        .slice(0, 2).map((r) => ({ ...publicRow(r), has_refresh_token: r.refresh_token !== null, has_pending: false }));
    }
    case "acquire_refresh_lease": {
      const r = row(p[0]);
      // Free, lapsed, or already the caller's (then renewed).
      if (!r || r.status === "disconnected" || (r.lease_owner !== null && r.lease_owner !== p[1] && (r.lease_expires_at?.getTime() ?? 0) > now)) return [];
      r.lease_owner = p[1] as string;
      r.lease_expires_at = new Date(now + (p[2] as number) * 1000);
      return [{ ...publicRow(r), has_pending: store.parked.has(r.id) }];
    }
    case "release_refresh_lease": {
      const r = row(p[0]);
      if (r && r.lease_owner === p[1]) Object.assign(r, { lease_owner: null, lease_expires_at: null });
      return [{}];
    }
    case "save_refreshed_tokens": {
      const r = row(p[0]);
      if (!held(r, p[1]) || r!.version !== p[2]) return [{ saved: false }];
      Object.assign(r!, {
        access_token: p[3], refresh_token: p[4], encryption_key_id: p[5], token_expires_at: p[6], refresh_token_expires_at: p[7],
        token_type: p[9], status: "connected", consecutive_failures: 0, last_sync_status: "ok", next_attempt_at: null,
        version: String(Number(r!.version) + 1), lease_owner: null, lease_expires_at: null,
      });
      // What the same statement also writes after a save: the audit row, the keep-alive date.
      // (Parameters as bound: the scopes travel as one JSON text, p[8]; the metadata is a literal null.)
      if (p[10] !== null && p[10] !== undefined) store.audit.push({ connection_id: r!.id, action: "refresh", outcome: "success", duration_ms: p[10] as number });
      if (p[11] instanceof Date) keepAlive(r!, p[11]);
      return [{ saved: true }];
    }
    case "claim_due_connections": {
      const [batch, seconds, owner, windowSeconds] = p as [number, number, string, number];
      const due = (r: FakeRow) => (r.next_attempt_at ?? r.token_expires_at)?.getTime() ?? Infinity;
      const claimed = [...store.rows.values()]
        .filter((r) => (r.status === "connected" || r.status === "token_expired") && r.refresh_token !== null
          && due(r) <= now + windowSeconds * 1000 && (r.next_attempt_at == null || r.next_attempt_at.getTime() <= now)
          && (r.lease_expires_at === null || r.lease_expires_at.getTime() <= now))
        .sort((a, b) => due(a) - due(b))
        .slice(0, batch);
      for (const r of claimed) Object.assign(r, { lease_owner: owner, lease_expires_at: new Date(now + seconds * 1000) });
      return claimed.map((r) => ({ ...publicRow(r), has_pending: store.parked.has(r.id) }));
    }
    case "claim_due_validations":
      return [];
    case "defer_connection": {
      const r = row(p[0]);
      if (held(r, p[1])) Object.assign(r!, { next_attempt_at: p[2], lease_owner: null, lease_expires_at: null });
      return [{}];
    }
    case "refresh_runs":
      return [];
    case "record_refresh_failure": {
      const r = row(p[0]);
      if (!held(r, p[1])) return [{ ok: false }];
      Object.assign(r!, {
        last_sync_status: p[2], next_attempt_at: p[4], status: (p[5] as string | null) ?? r!.status,
        consecutive_failures: r!.consecutive_failures + 1, lease_owner: null, lease_expires_at: null,
      });
      return [{ ok: true }];
    }
    case "apply_parked_tokens":
      // A parked set is only marked, never held: asking to apply it clears the mark and finds nothing to apply.
      store.parked.delete(p[0] as string);
      return [{ result: "none" }];
    case "log_token_event":
      store.audit.push({ connection_id: p[0] as string | null, action: p[1] as string, outcome: p[2] as string, duration_ms: (p[5] as number | null) ?? null });
      return [{}];
    case "schedule_keepalive":
      return [{ schedule_keepalive: keepAlive(row(p[0])!, p[1] as Date) || null }];
    default:
      throw new Error(`the fake store does not serve ${fn}`);
  }
}

/** schedule_keepalive's conditions: an unleased connected row, never later than a date already set, before expiry. */
function keepAlive(r: FakeRow | undefined, at: Date): boolean {
  if (!r || r.lease_owner !== null || r.status !== "connected") return false;
  if ((r.next_attempt_at ?? null) !== null && r.next_attempt_at!.getTime() <= at.getTime()) return false;
  if (r.token_expires_at === null || r.token_expires_at.getTime() <= at.getTime()) return false;
  r.next_attempt_at = at;
  return true;
}

function publicRow(r: FakeRow): ConnectionRow {
  const { lease_owner: _owner, ...rest } = r;
  return { ...rest };
}

export const USER = "6f1c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f";

/** A connected Spotify row whose tokens are `at-1` / `rt-1`, expiring at `expiresAt` (its id may be chosen in `extra`). */
export async function connectedRow(ring: KeyRing, expiresAt: number, extra: Partial<FakeRow> = {}): Promise<FakeRow> {
  const id = extra.id ?? "00000000-0000-4000-8000-000000000001";
  const enc = await encryptConnectionTokens(ring, id, { accessToken: "at-1", refreshToken: "rt-1" });
  return {
    id, user_id: USER, provider: "spotify", account_id: "acct", access_token: enc.accessToken, refresh_token: enc.refreshToken!,
    encryption_key_id: enc.keyId, token_type: "Bearer", scopes: [], token_expires_at: new Date(expiresAt), refresh_token_expires_at: null,
    status: "connected", consecutive_failures: 0, version: "1", metadata: {}, lease_expires_at: null, lease_owner: null,
    next_attempt_at: null, last_sync_status: "ok", ...extra,
  };
}

/** A provider token endpoint that answers with `answer` and counts its calls. */
export function fakeProvider(answer: () => Response) {
  const calls: Request[] = [];
  return { calls, fetch: async (input: Request) => (calls.push(input), answer()) };
}

export const tokenAnswer = (accessToken: string, expiresIn = 3600) => () =>
  Response.json({ access_token: accessToken, token_type: "Bearer", expires_in: expiresIn, refresh_token: "rt-2" });

/** Engine deps over the fake store and clock, with Spotify configured and the key ring of the test rows. */
export async function fakeEngine(clock: Clock, fetch: (input: Request) => Promise<Response>, rows: FakeRow[] = []) {
  const ring = await parseKeyRing(`k1:${HEX_K1}`);
  const store: FakeStore = { rows: new Map(rows.map((r) => [r.id, r])), calls: [], audit: [], parked: new Set() };
  const deps: EngineDeps = {
    sql: fakeSql(store, clock), ring, env: TEST_ENV, logger: createLogger("test", () => {}), fetch, now: clock.now, leaseSeconds: 45,
  };
  return { deps, store, ring };
}
