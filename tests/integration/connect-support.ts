import type { ConnectionRow } from "../../packages/shared/src/engine/connection-store.ts";
/**
 * Shared steps of the connect-* and disconnect* integration tests: the real connect flow through the
 * functions and the provider emulator (oauth-start → emulator authorize → oauth-callback → redirect_to with
 * `connect` → oauth-complete with the user's JWT),
 * and readers for what ends up in the database.
 */
import { createHash } from "node:crypto";
import type postgres from "postgres";
import { decryptConnectionToken } from "../../packages/shared/src/crypto/connection-tokens.ts";
import { EMULATOR_URL, TEST_APP_URL } from "../helpers/stack-env.ts";
import { API_URL, callFunction } from "../helpers/stack.ts";

export { TEST_APP_URL };
export const CALLBACK_URL = `${API_URL}/functions/v1/oauth-callback`;

/** A fresh address per run, so rows left by an earlier run never meet this one. */
export function uniqueEmail(file: string): string {
  return `${file}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** The emulator's control API (`/_emulator/*`). */
export async function emulatorControl<T = Record<string, any>>(path: string, body?: unknown, method?: string): Promise<T> {
  const res = await fetch(`${EMULATOR_URL}/_emulator${path}`, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  if (!res.ok) throw new Error(`emulator ${path}: ${res.status}`);
  return (await res.json()) as T;
}

export const postJson = (name: string, token: string, body: unknown) =>
  callFunction(name, { method: "POST", token, body: JSON.stringify(body), headers: { "content-type": "application/json" } });

export interface ConnectOptions {
  shop?: string;
  account?: string;
  scopes?: string[];
  redirectTo?: string;
  /** Extra query parameters for the emulator's authorize endpoint (emulator_account, emulator_deny). */
  emulator?: Record<string, string>;
  /** Rewrites the callback URL before it is followed (tampering tests). */
  tamper?: (callback: URL) => void;
  /**
   * Who calls oauth-complete with the `connect` id the callback returned: the starting user (default), another
   * user's JWT, or nobody (`false`: the grant stays parked).
   */
  completeWith?: string | false;
}

export interface ConnectRun {
  authorizeUrl: URL;
  expiresAt: string;
  state: string;
  callbackUrl: URL;
  response: Response;
  /** The callback's Location, when it redirected. */
  location: URL | null;
  /** The `connect` id the callback appended to redirect_to (the grant is parked under it), if any. */
  connectId: string | null;
  /** oauth-complete's answer, when it was called. */
  completion: { status: number; body: Record<string, any> } | null;
}

/** oauth-complete with a user's JWT. */
export async function oauthComplete(token: string, connect: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await postJson("oauth-complete", token, { connect });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** The provider a flow connected (oauth-complete's 200 body), or what went wrong instead. */
export function connectedProvider(flow: ConnectRun): string {
  if (flow.completion?.status === 200) return flow.completion.body.provider as string;
  return `not connected: ${flow.location?.search ?? flow.response.status} ${JSON.stringify(flow.completion?.body ?? null)}`;
}

/** oauth-start with the user's JWT; returns the parsed 200 body or throws with the error body. */
export async function oauthStart(token: string, body: Record<string, unknown>): Promise<{ authorize_url: string; expires_at: string }> {
  const res = await postJson("oauth-start", token, body);
  const json = (await res.json()) as Record<string, any>;
  if (res.status !== 200) throw new Error(`oauth-start ${res.status}: ${JSON.stringify(json)}`);
  return json as { authorize_url: string; expires_at: string };
}

/** Follows the emulator's authorize redirect and returns the callback URL it sends the browser to. */
export async function authorize(authorizeUrl: URL, extra: Record<string, string> = {}): Promise<URL> {
  const url = new URL(authorizeUrl);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: "manual" });
  if (res.status !== 302) throw new Error(`emulator authorize answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get("location")!);
}

/** GETs the callback as a browser would, without following the redirect. */
export async function followCallback(callbackUrl: URL, accept = "text/html"): Promise<{ response: Response; location: URL | null }> {
  const response = await fetch(callbackUrl, { redirect: "manual", headers: { accept } });
  const location = response.headers.get("location");
  return { response, location: location === null ? null : new URL(location) };
}

/** The whole connect flow for one provider. */
export async function connect(token: string, provider: string, options: ConnectOptions = {}): Promise<ConnectRun> {
  const started = await oauthStart(token, {
    provider,
    redirect_to: options.redirectTo ?? `${TEST_APP_URL}/connected`,
    ...(options.shop === undefined ? {} : { shop: options.shop }),
    ...(options.account === undefined ? {} : { account: options.account }),
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
  });
  const authorizeUrl = new URL(started.authorize_url);
  const callbackUrl = await authorize(authorizeUrl, options.emulator);
  options.tamper?.(callbackUrl);
  const { response, location } = await followCallback(callbackUrl);
  const connectId = location?.searchParams.get("connect") ?? null;
  const completer = options.completeWith ?? token;
  const completion = connectId !== null && completer !== false ? await oauthComplete(completer, connectId) : null;
  return {
    authorizeUrl, expiresAt: started.expires_at, state: authorizeUrl.searchParams.get("state")!, callbackUrl, response, location, connectId, completion,
  };
}

import { functionKeyRing } from "../helpers/connections.ts";
export { functionKeyRing };

/** A platform_connections row as the tests read it: the engine's row plus the bookkeeping columns. */
export interface StoredConnection extends ConnectionRow {
  last_sync_status: string | null;
  last_sync_error: string | null;
  next_attempt_at: Date | null;
  lease_owner: string | null;
  connected_at: Date;
}

export async function connectionsOf(sql: postgres.Sql, userId: string, provider?: string): Promise<StoredConnection[]> {
  return sql<StoredConnection[]>`
    select * from public.platform_connections
    where user_id = ${userId} ${provider === undefined ? sql`` : sql`and provider = ${provider}`}
    order by connected_at, account_id`;
}

/** Decrypts a row's tokens with the functions' key ring (bound to the row id and column). */
export async function decryptTokens(row: StoredConnection): Promise<{ accessToken: string | null; refreshToken: string | null }> {
  const keys = await functionKeyRing();
  return {
    accessToken: row.access_token === null ? null : await decryptConnectionToken(keys, row.id, "access_token", row.access_token),
    refreshToken: row.refresh_token === null ? null : await decryptConnectionToken(keys, row.id, "refresh_token", row.refresh_token),
  };
}

export const sha256Hex = (value: string) => createHash("sha256").update(value).digest("hex");

/** The oauth_states row of a state value (looked up by its hash, as the callback does). */
export async function stateRow(sql: postgres.Sql, state: string) {
  const [row] = await sql`select *, encode(state_hash, 'hex') as hash_hex from public.oauth_states where state_hash = decode(${sha256Hex(state)}, 'hex')`;
  return row;
}

export async function auditRows(sql: postgres.Sql, userId: string, action: string) {
  return sql<{ connection_id: string | null; provider: string; outcome: string; error_code: string | null; http_status: number | null }[]>`
    select connection_id, provider, outcome, error_code, http_status from public.token_audit_log
    where user_id = ${userId} and action = ${action} order by id`;
}

/** The account the emulator grants when the authorize request names none. */
export const defaultEmulatorAccount = (provider: string) => `${provider}-account-1`;
