/**
 * A local OAuth provider emulator: a real HTTP server on loopback that behaves like each provider at its
 * authorize, token, revoke and API endpoints (client authentication, rotation, error shapes, expiry forms),
 * with fault injection and call counters. Used by the tests, the benchmark and the demo.
 *
 * Routes: /<provider>/[template values/]authorize | token | revoke | api/<path>, and /_emulator/* to
 * control it (see README, "Provider emulator").
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { IdentityRegistry } from "./identity.ts";
import { EMULATED_PROVIDERS, PROFILES, invalidClient, invalidGrant, type Profile } from "./profiles.ts";

export const clientIdOf = (provider: string) => `emulator-${provider}-client`;
export const clientSecretOf = (provider: string) => `emulator-${provider}-secret`;

type FaultMode = "rate_limit" | "server_error" | "timeout" | "slow" | "slow_response" | "invalid_grant" | "invalid_client";

/**
 * Odd values a provider may put in a successful token response (exchange and refresh), to test that the
 * client bounds them: `expires_in` replaced, `token_type` replaced, `scope` replaced by `scope_count` scopes.
 */
interface TokenResponseOverride {
  expires_in?: unknown;
  token_type?: unknown;
  scope_count?: number;
}
interface Fault {
  provider: string;
  mode: FaultMode;
  endpoint: "token" | "api" | "revoke";
  remaining: number;
  until: number;
  delayMs: number;
  retryAfterSeconds: number;
  /** Only refreshes of this account's refresh tokens (a per-user limit); all of the provider's otherwise. */
  account?: string;
  /** How a rate_limit answers: the profile's usual per-user form, or the provider's app-wide form. */
  scope: "user" | "global";
}

interface RefreshRecord {
  provider: string;
  account: string;
  scope: string;
  state: "live" | "spent" | "revoked";
  graceUntil: number;
}
interface AccessRecord {
  provider: string;
  account: string;
  expiresAt: number;
  revoked: boolean;
}
interface CodeRecord {
  provider: string;
  redirectUri: string;
  challenge: string | null;
  scope: string;
  account: string;
  used: boolean;
  expiresAt: number;
}

/**
 * The shape of a request the token or revoke endpoint received, without a secret value: what tests assert
 * about how the client called (client authentication kind, body format, PKCE verifier present).
 */
export interface RequestShape {
  at: string;
  endpoint: "token" | "revoke";
  method: string;
  content_type: string;
  accept: string;
  /** How the client authenticated: HTTP Basic, id and secret in the body, id only, both, or none. */
  client_auth: "basic" | "body" | "client_id_only" | "basic_and_body" | "none";
  grant_type: string | null;
  /** Parameter names in the body, sorted. */
  params: string[];
  has_code_verifier: boolean;
  redirect_uri: string | null;
  /** Whether an X-Shopify-Access-Token header was sent (Shopify's uninstall call). */
  shopify_token_header: boolean;
}

export interface ProviderStats {
  exchange: number;
  refresh: number;
  refresh_ok: number;
  refresh_rejected: number;
  /** Refresh requests that presented a refresh token already spent by rotation (outside any grace) or revoked. */
  spent_reuse: number;
  revoke: number;
  api: number;
  in_flight: number;
  max_in_flight: number;
}

export interface EmulatorOptions {
  port?: number;
  /** Access token lifetime in seconds for every provider (default 3600). */
  accessTokenTtl?: number;
  log?: (line: string) => void;
}

export interface Emulator {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const tok = (prefix: string) => `${prefix}_${randomBytes(18).toString("base64url")}`;

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const log = opts.log ?? (() => {});
  let refreshTokens = new Map<string, RefreshRecord>();
  let accessTokens = new Map<string, AccessRecord>();
  let codes = new Map<string, CodeRecord>();
  let faults: Fault[] = [];
  let stats = new Map<string, ProviderStats>();
  let requests = new Map<string, RequestShape[]>();
  let issued = new Map<string, { access_tokens: string[]; refresh_tokens: string[]; codes: string[] }>();
  const nonExpiring = new Set<string>();
  const ttl = new Map<string, number>();
  const latency = new Map<string, number>();
  const overrides = new Map<string, TokenResponseOverride>();
  /** Providers whose revocation revokes only the presented token, not the whole account's grant. */
  const revokeTokenOnly = new Set<string>();
  let defaultTtl = opts.accessTokenTtl ?? 3600;
  const held = new Set<http.ServerResponse>();
  /** Answers a slow_response fault holds back, by response, with the delay. */
  const pendingDelay = new WeakMap<http.ServerResponse, number>();

  /** Sends a token endpoint answer, after the delay a slow_response fault asked for. */
  async function answer(res: http.ServerResponse, status: number, body: unknown, form: boolean) {
    const delay = pendingDelay.get(res);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    if (!res.destroyed) send(res, status, body, {}, form);
  }
  const identity = new IdentityRegistry();

  const statsOf = (p: string): ProviderStats => {
    let s = stats.get(p);
    if (!s) stats.set(p, (s = { exchange: 0, refresh: 0, refresh_ok: 0, refresh_rejected: 0, spent_reuse: 0, revoke: 0, api: 0, in_flight: 0, max_in_flight: 0 }));
    return s;
  };

  const issuedOf = (p: string) => {
    let i = issued.get(p);
    if (!i) issued.set(p, (i = { access_tokens: [], refresh_tokens: [], codes: [] }));
    return i;
  };

  function record(provider: string, endpoint: RequestShape["endpoint"], req: http.IncomingMessage, params: URLSearchParams) {
    const basic = /^Basic /i.test(req.headers.authorization ?? "");
    const secretInBody = params.has("client_secret");
    const idInBody = params.has("client_id");
    const shape: RequestShape = {
      at: new Date().toISOString(),
      endpoint,
      method: req.method ?? "",
      content_type: String(req.headers["content-type"] ?? "").split(";")[0]!.trim(),
      accept: String(req.headers.accept ?? ""),
      client_auth: basic && secretInBody ? "basic_and_body" : basic ? "basic" : secretInBody ? "body" : idInBody ? "client_id_only" : "none",
      grant_type: params.get("grant_type"),
      params: [...new Set(params.keys())].sort(),
      has_code_verifier: (params.get("code_verifier") ?? "") !== "",
      redirect_uri: params.get("redirect_uri"),
      shopify_token_header: typeof req.headers["x-shopify-access-token"] === "string",
    };
    const list = requests.get(provider) ?? [];
    list.push(shape);
    if (list.length > 100) list.shift();
    requests.set(provider, list);
  }

  function issue(provider: string, account: string, scope: string, baseProfile: Profile, withRefresh: boolean) {
    const profile: Profile = nonExpiring.has(provider) ? { ...baseProfile, nonExpiring: true } : baseProfile;
    const now = Date.now();
    const lifetime = ttl.get(provider) ?? defaultTtl;
    const access = tok(`at_${provider}`);
    accessTokens.set(access, { provider, account, expiresAt: profile.nonExpiring ? Infinity : now + lifetime * 1000, revoked: false });
    issuedOf(provider).access_tokens.push(access);
    const body: Record<string, unknown> = { access_token: access, token_type: "bearer", scope };
    if (!profile.nonExpiring && profile.expiry !== "none") body.expires_in = lifetime;
    if (profile.expiry === "lightspeed") body.expires = Math.floor(now / 1000) + lifetime;
    if (withRefresh && !profile.nonExpiring) {
      const refresh = tok(`rt_${provider}`);
      refreshTokens.set(refresh, { provider, account, scope, state: "live", graceUntil: 0 });
      issuedOf(provider).refresh_tokens.push(refresh);
      body.refresh_token = refresh;
    }
    Object.assign(body, profile.extraTokenFields?.(now) ?? {});
    return body;
  }

  /** A token endpoint answer with the provider's configured odd values (see TokenResponseOverride). */
  function withOverrides(provider: string, body: Record<string, unknown>): Record<string, unknown> {
    const o = overrides.get(provider);
    if (!o) return body;
    const out = { ...body };
    if ("expires_in" in o) out.expires_in = o.expires_in;
    if ("token_type" in o) out.token_type = o.token_type;
    if (typeof o.scope_count === "number") out.scope = Array.from({ length: o.scope_count }, (_, i) => `emulator.scope.${i}`).join(" ");
    return out;
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, form = false) {
    const text = form
      ? new URLSearchParams(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, String(v)])).toString()
      : typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": form ? "application/x-www-form-urlencoded" : typeof body === "string" ? "text/html" : "application/json",
      ...headers,
    });
    res.end(text);
  }

  function rateLimitAnswer(res: http.ServerResponse, profile: Profile, seconds: number, scope: Fault["scope"]) {
    // Google's project quota (shared by every user of the app) is a 429 RESOURCE_EXHAUSTED, not the per-user 403.
    if (profile.retryAfter === "google_403" && scope === "global") {
      return send(res, 429, { error: { code: 429, message: "Quota exceeded for quota metric 'Requests' of service.", status: "RESOURCE_EXHAUSTED" } }, { "retry-after": String(seconds) });
    }
    switch (profile.retryAfter) {
      case "http_date":
        return send(res, 429, { error: "rate_limited" }, { "retry-after": new Date(Date.now() + seconds * 1000).toUTCString() });
      case "discord_body":
        return send(res, 429, { message: "You are being rate limited.", retry_after: seconds + 0.25, global: false }, { "retry-after": String(seconds) });
      case "google_403":
        return send(res, 403, { error: { code: 403, message: "User-rate limit exceeded.", errors: [{ reason: "userRateLimitExceeded" }] } });
      default:
        return send(res, 429, { error: "rate_limited", error_description: "Too many requests" }, { "retry-after": String(seconds) });
    }
  }

  /**
   * Applies a matching fault: "answered" when it answered (or will never answer), "dropped" when the caller
   * hung up during a slow fault (the request never reached the provider), false when the request proceeds.
   */
  async function applyFault(provider: string, endpoint: Fault["endpoint"], res: http.ServerResponse, profile: Profile, account?: string): Promise<"answered" | "dropped" | false> {
    const now = Date.now();
    faults = faults.filter((f) => f.remaining > 0 && f.until > now);
    const f = faults.find((x) => x.provider === provider && x.endpoint === endpoint && (x.account === undefined || x.account === account));
    if (!f) return false;
    f.remaining -= 1;
    switch (f.mode) {
      case "slow_response":
        // Processed now (a refresh rotates at once), answered after delay_ms: see answer().
        pendingDelay.set(res, f.delayMs);
        return false;
      case "slow":
        await new Promise((r) => setTimeout(r, f.delayMs));
        // A caller that hung up during the delay never reached the provider: nothing is processed.
        return res.destroyed || res.socket === null || res.socket.destroyed ? "dropped" : false;
      case "timeout":
        held.add(res);
        return "answered";
      case "server_error":
        send(res, 503, "<html><body>Service Unavailable</body></html>");
        return "answered";
      case "rate_limit":
        rateLimitAnswer(res, profile, f.retryAfterSeconds, f.scope);
        return "answered";
      case "invalid_grant": {
        const a = invalidGrant(profile);
        send(res, a.status, a.body);
        return "answered";
      }
      case "invalid_client": {
        const a = invalidClient(profile);
        send(res, a.status, a.body);
        return "answered";
      }
    }
  }

  function clientAuthOk(provider: string, profile: Profile, req: http.IncomingMessage, params: URLSearchParams): boolean {
    const id = clientIdOf(provider);
    const secret = clientSecretOf(provider);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    const basicOk = basic ? Buffer.from(basic[1]!, "base64").toString() === `${encodeURIComponent(id)}:${encodeURIComponent(secret)}` || Buffer.from(basic[1]!, "base64").toString() === `${id}:${secret}` : false;
    const bodyOk = params.get("client_id") === id && params.get("client_secret") === secret;
    switch (profile.clientAuth) {
      case "basic": return basicOk && !params.has("client_secret");
      case "body": return bodyOk;
      case "basic_or_body": return basicOk || bodyOk;
      case "client_id_only": return params.get("client_id") === id && !params.has("client_secret");
    }
  }

  async function readBody(req: http.IncomingMessage): Promise<{ params: URLSearchParams; json: boolean }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    if ((req.headers["content-type"] ?? "").includes("application/json")) {
      const obj = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      return { params: new URLSearchParams(Object.entries(obj).map(([k, v]) => [k, String(v)])), json: true };
    }
    return { params: new URLSearchParams(text), json: false };
  }

  async function tokenEndpoint(provider: string, profile: Profile, req: http.IncomingMessage, res: http.ServerResponse) {
    const st = statsOf(provider);
    st.in_flight += 1;
    st.max_in_flight = Math.max(st.max_in_flight, st.in_flight);
    res.on("close", () => (st.in_flight -= 1));
    const lat = latency.get(provider) ?? 0;
    if (lat) await new Promise((r) => setTimeout(r, lat));
    if (req.method !== "POST") return send(res, 405, { error: "invalid_request" });
    const { params, json } = await readBody(req);
    record(provider, "token", req, params);
    const grant = params.get("grant_type");
    if (grant === "refresh_token") st.refresh += 1;
    else if (grant === "authorization_code") st.exchange += 1;
    const form = profile.errorStyle === "github" && !(req.headers.accept ?? "").includes("application/json");
    if (json && !profile.acceptsJson) return send(res, 400, { error: "invalid_request", error_description: "body must be application/x-www-form-urlencoded" });
    if (grant === "refresh_token") {
      const fault = await applyFault(provider, "token", res, profile, refreshTokens.get(params.get("refresh_token") ?? "")?.account);
      if (fault === "dropped") {
        st.refresh -= 1;
        return;
      }
      if (fault === "answered") {
        st.refresh_rejected += 1;
        return;
      }
    }
    if (!clientAuthOk(provider, profile, req, params)) {
      const a = invalidClient(profile);
      return send(res, a.status, a.body, {}, form);
    }
    if (grant === "authorization_code") {
      const code = codes.get(params.get("code") ?? "");
      if (!code || code.used || code.expiresAt < Date.now() || code.provider !== provider) {
        if (code) code.used = true;
        const a = invalidGrant(profile);
        return send(res, a.status === 200 ? 200 : 400, profile.errorStyle === "github" ? { error: "bad_verification_code" } : { error: "invalid_grant", error_description: "code is invalid, expired or used" }, {}, form);
      }
      code.used = true;
      if (params.get("redirect_uri") !== code.redirectUri) return send(res, 400, { error: "invalid_grant", error_description: "redirect_uri mismatch" });
      if (code.challenge) {
        const verifier = params.get("code_verifier") ?? "";
        if (createHash("sha256").update(verifier).digest("base64url") !== code.challenge) {
          return send(res, 400, { error: "invalid_grant", error_description: "code_verifier does not match" });
        }
      }
      log(`${provider}: exchanged a code for account ${code.account}`);
      return send(res, 200, withOverrides(provider, issue(provider, code.account, code.scope, profile, true)), {}, form);
    }
    if (grant === "refresh_token") {
      const presented = params.get("refresh_token") ?? "";
      const rec = refreshTokens.get(presented);
      const now = Date.now();
      const usable = rec && rec.provider === provider && (rec.state === "live" || (rec.state === "spent" && rec.graceUntil > now));
      if (!usable) {
        st.refresh_rejected += 1;
        if (rec && rec.provider === provider) st.spent_reuse += 1;
        log(`${provider}: refused a spent or unknown refresh token`);
        const a = invalidGrant(profile);
        return send(res, a.status, a.body, {}, form);
      }
      st.refresh_ok += 1;
      let body: Record<string, unknown>;
      switch (profile.rotation) {
        case "strict":
          rec.state = "spent";
          body = issue(provider, rec.account, rec.scope, profile, true);
          break;
        case "grace":
          if (rec.state === "live") {
            rec.state = "spent";
            rec.graceUntil = now + (profile.graceSeconds ?? 0) * 1000;
          }
          body = issue(provider, rec.account, rec.scope, profile, true);
          break;
        case "new_old_kept":
          body = issue(provider, rec.account, rec.scope, profile, true);
          break;
        case "same_returned":
          body = { ...issue(provider, rec.account, rec.scope, profile, false), refresh_token: presented };
          break;
        case "none_in_response":
          body = issue(provider, rec.account, rec.scope, profile, false);
          break;
      }
      log(`${provider}: refreshed account ${rec.account}`);
      return answer(res, 200, withOverrides(provider, body), form);
    }
    return send(res, 400, { error: "unsupported_grant_type" }, {}, form);
  }

  function authorizeEndpoint(provider: string, profile: Profile, url: URL, prefix: string[], res: http.ServerResponse) {
    const redirect = url.searchParams.get("redirect_uri");
    const state = url.searchParams.get("state");
    if (!redirect || url.searchParams.get("client_id") !== clientIdOf(provider)) {
      return send(res, 400, { error: "invalid_request", error_description: "unknown client_id or no redirect_uri" });
    }
    const target = new URL(redirect);
    if (state) target.searchParams.set("state", state);
    if (url.searchParams.get("emulator_deny") === "1") {
      target.searchParams.set("error", "access_denied");
      target.searchParams.set("error_description", "The user denied access");
      res.writeHead(302, { location: target.toString() });
      return res.end();
    }
    const account = url.searchParams.get("emulator_account") ?? (prefix[0] ? prefix[0] : `${provider}-account-1`);
    identity.consented(provider, account, url);
    const code = tok("code");
    issuedOf(provider).codes.push(code);
    codes.set(code, {
      provider, redirectUri: redirect, account, used: false, expiresAt: Date.now() + 600_000,
      challenge: url.searchParams.get("code_challenge_method") === "S256" ? url.searchParams.get("code_challenge") : null,
      scope: url.searchParams.get("scope") ?? "",
    });
    target.searchParams.set("code", code);
    if (profile.callbackExtras === "realmId") target.searchParams.set("realmId", account);
    if (profile.callbackExtras === "domain_prefix") target.searchParams.set("domain_prefix", account);
    if (profile.callbackExtras === "shopify") {
      const shop = prefix[0] ? `${prefix[0]}.myshopify.com` : (url.searchParams.get("shop") ?? "emulator-shop.myshopify.com");
      target.searchParams.set("shop", shop);
      target.searchParams.set("timestamp", String(Math.floor(Date.now() / 1000)));
      target.searchParams.set("host", Buffer.from(`${shop}/admin`).toString("base64url"));
      const message = [...target.searchParams.entries()].filter(([k]) => k !== "hmac").sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`).join("&");
      target.searchParams.set("hmac", createHmac("sha256", clientSecretOf(provider)).update(message).digest("hex"));
    }
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  async function revokeEndpoint(provider: string, req: http.IncomingMessage, res: http.ServerResponse, profile: Profile) {
    statsOf(provider).revoke += 1;
    if (await applyFault(provider, "revoke", res, profile)) return;
    const { params } = await readBody(req);
    record(provider, "revoke", req, params);
    // Dropbox authenticates its revoke call with the access token itself, as a Bearer credential.
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const token = params.get("token") ?? params.get("access_token") ?? (req.headers["x-shopify-access-token"] as string | undefined) ?? bearer ?? "";
    const rt = refreshTokens.get(token);
    const at = accessTokens.get(token);
    if (revokeTokenOnly.has(provider)) {
      if (rt && rt.provider === provider) rt.state = "revoked";
      if (at && at.provider === provider) at.revoked = true;
    } else {
      for (const rec of [rt, at]) if (rec) revokeAccount(provider, rec.account);
    }
    send(res, 200, {});
  }

  function revokeAccount(provider: string, account: string) {
    for (const r of refreshTokens.values()) if (r.provider === provider && r.account === account) r.state = "revoked";
    for (const a of accessTokens.values()) if (a.provider === provider && a.account === account) a.revoked = true;
  }

  async function apiEndpoint(provider: string, profile: Profile, req: http.IncomingMessage, res: http.ServerResponse, rest: string, prefix: string[] = []) {
    statsOf(provider).api += 1;
    if (await applyFault(provider, "api", res, profile)) return;
    const auth = req.headers.authorization ?? "";
    let token = /^(?:Bearer|OAuth|token) (.+)$/i.exec(auth)?.[1] ?? (req.headers["x-shopify-access-token"] as string | undefined) ?? "";
    if (!token && req.method === "POST") token = (await readBody(req)).params.get("access_token") ?? "";
    const rec = accessTokens.get(token);
    const valid = rec && rec.provider === provider && !rec.revoked && rec.expiresAt > Date.now();
    if (!valid) return send(res, /applications\//.test(rest) ? 404 : 401, { error: "invalid_token", message: "Invalid access token" });
    const known = identity.answer(provider, rec.account, rest, prefix);
    if (known) return send(res, known.status, known.body);
    if (/connections$/.test(rest)) return send(res, 200, [{ id: rec.account, tenantId: rec.account, tenantType: "ORGANISATION" }]);
    // Every provider's identity field in one body: Discord /oauth2/@me `user.id`, X /users/me `data.id`,
    // Dropbox /users/get_current_account `account_id`.
    send(res, 200, {
      id: rec.account, user_id: rec.account, account_id: rec.account, login: rec.account, sub: rec.account, client_id: clientIdOf(provider), shop: { id: rec.account },
      user: { id: rec.account }, data: { id: rec.account },
    });
  }

  async function control(path: string, req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const body = req.method === "POST" ? await readJson(req) : {};
    switch (`${req.method} ${path}`) {
      case "POST /reset":
        refreshTokens = new Map(); accessTokens = new Map(); codes = new Map(); faults = []; stats = new Map();
        ttl.clear(); latency.clear(); overrides.clear(); revokeTokenOnly.clear(); defaultTtl = opts.accessTokenTtl ?? 3600;
        requests = new Map(); issued = new Map(); nonExpiring.clear(); identity.reset();
        for (const r of held) r.destroy();
        held.clear();
        return send(res, 200, { ok: true });
      case "GET /stats":
        return send(res, 200, Object.fromEntries(stats));
      case "POST /stats/reset":
        stats = new Map();
        return send(res, 200, { ok: true });
      case "POST /faults": {
        const f: Fault = {
          provider: String(body.provider), mode: body.mode as FaultMode, endpoint: (body.endpoint as Fault["endpoint"]) ?? "token",
          remaining: typeof body.count === "number" ? body.count : Infinity,
          until: typeof body.duration_ms === "number" ? Date.now() + body.duration_ms : Infinity,
          delayMs: typeof body.delay_ms === "number" ? body.delay_ms : 0,
          retryAfterSeconds: typeof body.retry_after === "number" ? body.retry_after : 30,
          ...(typeof body.account === "string" ? { account: body.account } : {}),
          scope: body.scope === "global" ? "global" : "user",
        };
        faults.push(f);
        return send(res, 200, { ok: true });
      }
      case "DELETE /faults":
        faults = [];
        for (const r of held) r.destroy();
        held.clear();
        return send(res, 200, { ok: true });
      case "POST /config": {
        const providers = body.provider ? [String(body.provider)] : null;
        if (typeof body.access_token_ttl === "number") {
          if (providers) providers.forEach((p) => ttl.set(p, body.access_token_ttl as number));
          else defaultTtl = body.access_token_ttl;
        }
        if (typeof body.latency_ms === "number") (providers ?? EMULATED_PROVIDERS).forEach((p) => latency.set(p, body.latency_ms as number));
        if (body.token_response === null) (providers ?? EMULATED_PROVIDERS).forEach((p) => overrides.delete(p));
        else if (typeof body.token_response === "object") {
          (providers ?? EMULATED_PROVIDERS).forEach((p) => overrides.set(p, body.token_response as TokenResponseOverride));
        }
        if (body.revoke === "token" || body.revoke === "account") {
          (providers ?? EMULATED_PROVIDERS).forEach((p) => (body.revoke === "token" ? revokeTokenOnly.add(p) : revokeTokenOnly.delete(p)));
        }
        if (typeof body.non_expiring === "boolean") {
          (providers ?? EMULATED_PROVIDERS).forEach((p) => (body.non_expiring ? nonExpiring.add(p) : nonExpiring.delete(p)));
        }
        return send(res, 200, { ok: true });
      }
      case "POST /grant": {
        const provider = String(body.provider);
        const profile = PROFILES[provider];
        if (!profile) return send(res, 404, { error: "unknown provider" });
        const account = typeof body.account === "string" ? body.account : `${provider}-account-1`;
        return send(res, 200, issue(provider, account, String(body.scope ?? ""), profile, true));
      }
      case "GET /requests": {
        const provider = url.searchParams.get("provider") ?? "";
        const endpoint = url.searchParams.get("endpoint");
        return send(res, 200, { requests: (requests.get(provider) ?? []).filter((r) => !endpoint || r.endpoint === endpoint) });
      }
      case "GET /issued": {
        const provider = url.searchParams.get("provider");
        const all = provider ? [issued.get(provider)].filter((x) => x !== undefined) : [...issued.values()];
        return send(res, 200, {
          access_tokens: all.flatMap((i) => i.access_tokens),
          refresh_tokens: all.flatMap((i) => i.refresh_tokens),
          codes: all.flatMap((i) => i.codes),
        });
      }
      case "POST /revoke-account":
        revokeAccount(String(body.provider), String(body.account));
        return send(res, 200, { ok: true });
      case "GET /token": {
        const t = url.searchParams.get("token") ?? "";
        const rt = refreshTokens.get(t);
        const at = accessTokens.get(t);
        return send(res, 200, {
          refresh: rt ? { state: rt.state, account: rt.account } : null,
          access: at ? { valid: !at.revoked && at.expiresAt > Date.now(), account: at.account } : null,
        });
      }
      default:
        return send(res, 404, { error: "unknown control route" });
    }
  }

  async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname.startsWith("/_emulator/")) return await control(url.pathname.slice("/_emulator".length), req, res, url);
      const segments = url.pathname.split("/").filter(Boolean);
      const provider = segments[0] ?? "";
      const profile = PROFILES[provider];
      if (!profile) return send(res, 404, { error: "unknown provider" });
      const i = segments.findIndex((s, n) => n > 0 && ["authorize", "token", "revoke", "api"].includes(s));
      if (i < 0) return send(res, 404, { error: "unknown endpoint" });
      const prefix = segments.slice(1, i);
      switch (segments[i]) {
        case "authorize": return authorizeEndpoint(provider, profile, url, prefix, res);
        case "token": return await tokenEndpoint(provider, profile, req, res);
        case "revoke": return await revokeEndpoint(provider, req, res, profile);
        case "api": return await apiEndpoint(provider, profile, req, res, segments.slice(i + 1).join("/"), prefix);
      }
    } catch {
      if (!res.headersSent) send(res, 400, { error: "invalid_request", error_description: "malformed request" });
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () => new Promise<void>((resolve) => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * The environment that points every provider at an emulator: credentials and endpoint overrides, with the
 * templated parts ({shop}, {tenant}, {domain_prefix}) kept in the path so they reach the emulator.
 */
export function emulatorEnv(baseUrl: string): Record<string, string> {
  const env: Record<string, string> = {};
  const templated: Record<string, string> = { shopify: "/{shop}", microsoft: "/{tenant}", lightspeed: "/{domain_prefix}" };
  for (const p of EMULATED_PROVIDERS) {
    const id = p.toUpperCase();
    const t = templated[p] ?? "";
    env[`${id}_CLIENT_ID`] = clientIdOf(p);
    env[`${id}_CLIENT_SECRET`] = clientSecretOf(p);
    env[`${id}_AUTHORIZE_URL`] = `${baseUrl}/${p}${p === "shopify" ? t : ""}/authorize`;
    env[`${id}_TOKEN_URL`] = `${baseUrl}/${p}${t}/token`;
    env[`${id}_REVOKE_URL`] = `${baseUrl}/${p}${t}/revoke`;
    env[`${id}_API_URL`] = `${baseUrl}/${p}${t}/api`;
  }
  return env;
}
