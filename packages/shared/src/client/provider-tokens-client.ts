import type { SupabaseClient } from "@supabase/supabase-js";
import { errorCodeOf, ProviderTokensError } from "./provider-tokens-error.ts";

/** `get-token`'s answer. */
export interface ProviderToken {
  readonly access_token: string;
  readonly token_type: string;
  /** ISO 8601, or null for tokens that never expire. */
  readonly expires_at: string | null;
  readonly scopes: readonly string[];
  readonly provider: string;
  readonly account: string;
}

/**
 * A connection's status as `connections` reports it. The client imports nothing of the server, so it spells
 * the list out; tests/integration/connection-status.test.ts checks it against the server's.
 */
export type ConnectionSummaryStatus = "connected" | "token_expired" | "needs_reauth" | "disconnected" | "error";

/** One entry of `connections` (never a token). */
export interface ConnectionSummary {
  readonly provider: string;
  readonly account: string;
  readonly status: ConnectionSummaryStatus;
  readonly expires_at: string | null;
  readonly scopes: readonly string[];
  readonly last_refreshed_at: string | null;
  readonly last_error: string | null;
}

/** `oauth-complete`'s answer. */
export interface CompletedConnection {
  readonly provider: string;
  readonly account: string;
  readonly status: "connected";
}

/** Options of {@link ProviderTokensClient.startConnection}. */
export interface StartOptions {
  /** Where the provider's consent comes back to (must be in ALLOWED_REDIRECT_URLS); default: this page. */
  readonly redirectTo?: string;
  /** Replaces the provider's default scopes. */
  readonly scopes?: readonly string[];
  /** Shopify store (`<store>` or `<store>.myshopify.com`). */
  readonly shop?: string;
  /** The only account the flow may connect (a reconnect; a Xero tenant id). */
  readonly account?: string;
}

/** The page's address and history, as the browser gives them (injectable for tests). */
export interface BrowserLocation {
  readonly location: { readonly href: string; assign(url: string): void };
  readonly history: { readonly state: unknown; replaceState(data: unknown, unused: string, url?: string | URL | null): void };
}

/** The query parameters oauth-callback appends to `redirect_to`. */
const RESULT_PARAMS = ["connect", "provider", "error"] as const;

/**
 * A typed client for a browser page, over a supabase-js client signed in as the user: it calls the Edge
 * Functions with the user's JWT (supabase-js adds it) and turns every failure into a {@link ProviderTokensError}
 * with a stable code.
 *
 * Connecting takes two page loads: {@link startConnection} sends the browser to the provider; the provider
 * sends it back through oauth-callback to `redirectTo` with `?connect=<id>&provider=<p>`; on that page
 * {@link completeConnection} claims the connection for the signed-in user, who must be the one who started.
 */
export interface ProviderTokensClient {
  /** Calls oauth-start and navigates to the provider. Resolves once the navigation has been asked for. */
  startConnection(provider: string, options?: StartOptions): Promise<void>;
  /**
   * On the page at `redirectTo`: reads `connect`, `provider` and `error` from the address, removes them from the
   * address bar (history.replaceState, keeping the rest of the query and the fragment), and claims the
   * connection with oauth-complete. Resolves to null when the address carries no result.
   *
   * @throws ProviderTokensError with oauth-callback's `error` code, or oauth-complete's (`forbidden` when another
   *   user started the flow, `invalid_request` for a used or expired link).
   */
  completeConnection(): Promise<CompletedConnection | null>;
  /** A valid access token (refreshed by the server if it had to be). */
  getToken(provider: string, account?: string): Promise<ProviderToken>;
  listConnections(): Promise<ConnectionSummary[]>;
  /** Revokes at the provider where it can and forgets the tokens. */
  disconnect(provider: string, account?: string): Promise<void>;
}

/**
 * Creates the client. Pass `browser` only outside a browser page (tests); it defaults to `globalThis`'s
 * `location` and `history`.
 */
export function createProviderTokensClient(
  supabase: Pick<SupabaseClient, "functions">,
  browser: BrowserLocation = globalThis as unknown as BrowserLocation,
): ProviderTokensClient {
  async function call<T>(name: string, method: "GET" | "POST", body?: Record<string, unknown>, provider?: string): Promise<T> {
    let result: { data: unknown; error: unknown };
    try {
      result = await supabase.functions.invoke(name, { method, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      throw new ProviderTokensError("network_error", `${name}: ${(error as Error)?.message ?? "the request failed"}`, { provider });
    }
    if (result.error) throw await toError(name, result.error, provider);
    if (typeof result.data !== "object" || result.data === null) {
      throw new ProviderTokensError("invalid_response", `${name} answered something that is not JSON`, { provider });
    }
    return result.data as T;
  }

  return {
    async startConnection(provider, options = {}) {
      const redirectTo = options.redirectTo ?? withoutResultParams(browser.location.href);
      const started = await call<{ authorize_url?: unknown }>("oauth-start", "POST", {
        provider,
        redirect_to: redirectTo,
        ...(options.scopes === undefined ? {} : { scopes: [...options.scopes] }),
        ...(options.shop === undefined ? {} : { shop: options.shop }),
        ...(options.account === undefined ? {} : { account: options.account }),
      }, provider);
      if (typeof started.authorize_url !== "string" || !/^https?:\/\//i.test(started.authorize_url)) {
        throw new ProviderTokensError("invalid_response", "oauth-start answered no authorize_url", { provider });
      }
      browser.location.assign(started.authorize_url);
    },

    async completeConnection() {
      const url = new URL(browser.location.href);
      const connect = url.searchParams.get("connect");
      const provider = url.searchParams.get("provider") ?? undefined;
      const error = url.searchParams.get("error");
      if (connect === null && error === null) return null;
      // The connect id works once: take it out of the address bar (and so out of history, bookmarks and
      // shared links) before anything else.
      browser.history.replaceState(browser.history.state, "", withoutResultParams(url.href));
      if (error !== null) {
        throw new ProviderTokensError(errorCodeOf(error), `connecting ${provider ?? "the account"} failed: ${error.slice(0, 64)}`, { provider });
      }
      const done = await call<Partial<CompletedConnection>>("oauth-complete", "POST", { connect }, provider);
      if (done.status !== "connected" || typeof done.provider !== "string" || typeof done.account !== "string") {
        throw new ProviderTokensError("invalid_response", "oauth-complete answered an unexpected body", { provider });
      }
      return { provider: done.provider, account: done.account, status: "connected" };
    },

    async getToken(provider, account) {
      const token = await call<Partial<ProviderToken>>("get-token", "POST", { provider, ...(account === undefined ? {} : { account }) }, provider);
      if (typeof token.access_token !== "string") throw new ProviderTokensError("invalid_response", "get-token answered no access_token", { provider });
      return token as ProviderToken;
    },

    async listConnections() {
      const list = await call<{ connections?: unknown }>("connections", "GET");
      if (!Array.isArray(list.connections)) throw new ProviderTokensError("invalid_response", "connections answered no list");
      return list.connections as ConnectionSummary[];
    },

    async disconnect(provider, account) {
      await call("disconnect", "POST", { provider, ...(account === undefined ? {} : { account }) }, provider);
    },
  };
}

/** The address without oauth-callback's result parameters (the rest of the query and the fragment kept). */
export function withoutResultParams(href: string): string {
  const url = new URL(href);
  for (const name of RESULT_PARAMS) url.searchParams.delete(name);
  return url.href;
}

/**
 * Turns supabase-js's error into a {@link ProviderTokensError}: the function's `{ error: { code, message } }` body
 * when it answered (`error.context` is the Response), else a network error.
 */
async function toError(name: string, error: unknown, provider: string | undefined): Promise<ProviderTokensError> {
  const response = (error as { context?: unknown })?.context;
  if (!(response instanceof Response)) {
    return new ProviderTokensError("network_error", `${name}: ${(error as Error)?.message ?? "no answer"}`, { provider });
  }
  let body: { error?: { code?: unknown; message?: unknown; reconnect?: unknown } } | undefined;
  try {
    body = (await response.clone().json()) as typeof body;
  } catch {
    body = undefined;
  }
  const retry = response.headers.get("retry-after");
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined;
  const code = body?.error?.code !== undefined ? errorCodeOf(body.error.code) : response.status === 401 ? "unauthorized" : "invalid_response";
  const message = typeof body?.error?.message === "string" ? body.error.message : `${name} answered ${response.status}`;
  return new ProviderTokensError(code, message, { status: response.status, reconnect: body?.error?.reconnect === true || undefined, retryAfter, provider });
}
