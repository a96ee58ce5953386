import {
  createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify,
  type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey,
} from "jose";
import { ApiError } from "./api-error.ts";
import { equalBytes } from "./constant-time-equal.ts";
import { isUuid } from "./fields.ts";

/** Who is calling: an end user (from a verified access token) or a server holding a secret key. */
export type Principal = UserPrincipal | ServicePrincipal;
export interface UserPrincipal { kind: "user"; userId: string; claims: JWTPayload }
export interface ServicePrincipal { kind: "service" }

export type AuthMode = "user" | "service" | "user_or_service" | "none";

/** Who a request authenticated in `mode` can be: what the authenticator returns for it, or it throws. */
export type PrincipalFor<M extends AuthMode> = {
  user: UserPrincipal;
  service: ServicePrincipal;
  user_or_service: Principal;
  none: null;
}[M];

/** The environment the authenticator reads, as the platform provides it to Edge Functions. */
export interface AuthEnv {
  SUPABASE_URL?: string;
  SUPABASE_SERVICE_ROLE_KEY?: string;
  /** New-style secret keys as JSON `{ "name": "sb_secret_..." }` (platform-provided). */
  SUPABASE_SECRET_KEYS?: string;
  /** Inline JWKS (JSON) of the project's asymmetric signing keys. */
  SUPABASE_JWKS?: string;
  /** The legacy HS256 JWT secret, for projects (and the CLI stack) still signing user tokens with it. */
  JWT_SECRET?: string;
  /**
   * The `iss` user tokens must carry, comma-separated when several are accepted. Default
   * `${SUPABASE_URL}/auth/v1`, which is what Supabase Auth issues on hosted projects; set it where the functions
   * see another `SUPABASE_URL` than the browser (the CLI stack: `http://kong:8000`) or behind a custom domain.
   */
  JWT_ISSUER?: string;
  /** `true` lets anonymous users (`is_anonymous: true`, Supabase anonymous sign-ins) call as users. */
  ALLOW_ANONYMOUS_USERS?: string;
}

/**
 * The issuers user tokens are accepted from: `JWT_ISSUER` (comma-separated), else `${SUPABASE_URL}/auth/v1`;
 * empty when neither is set (then no user token is accepted).
 *
 * @see https://supabase.com/docs/guides/auth/jwt-fields
 */
export function expectedIssuers(env: AuthEnv): string[] {
  const configured = (env.JWT_ISSUER ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (configured.length > 0) return configured;
  const base = env.SUPABASE_URL?.trim().replace(/\/+$/, "");
  return base ? [`${base}/auth/v1`] : [];
}

const ASYMMETRIC = ["ES256", "RS256"];

/**
 * Builds the request authenticator used by every function. User tokens are verified here even when the
 * gateway's verify_jwt already did, because the gateway accepts any role (the anon key passes it).
 *
 * - HS256 tokens: the legacy JWT secret (`JWT_SECRET`).
 * - ES256/RS256 tokens: `SUPABASE_JWKS` or the project's `/auth/v1/.well-known/jwks.json`
 *   (https://supabase.com/docs/guides/auth/signing-keys).
 * - User tokens must also have role and audience `authenticated`, a UUID `sub`, an `exp`, and an `iss` of
 *   {@link expectedIssuers}; anonymous users (`is_anonymous: true`) are refused unless
 *   `ALLOW_ANONYMOUS_USERS=true`.
 * - Service callers: the bearer token equals one of the configured keys (`SUPABASE_SERVICE_ROLE_KEY`, the
 *   `sb_secret_` keys of `SUPABASE_SECRET_KEYS`), compared in constant time. A JWT that merely says
 *   `role: service_role` is not a service caller: anyone holding the signing secret (or a leaked, since
 *   rotated key) could mint one.
 *
 * `@supabase/server`'s `withSupabase` does much of this, but its user mode rejects tokens without a `kid`,
 * which is every token a legacy-secret project or the CLI's default stack issues; hence this thin version.
 */
/** Verified user tokens kept per process, so a caller reusing its token is not re-verified on every call. */
const VERIFIED_CACHE_SIZE = 10_000;

export function createAuthenticator(env: AuthEnv) {
  const issuers = expectedIssuers(env);
  const allowAnonymous = env.ALLOW_ANONYMOUS_USERS?.trim().toLowerCase() === "true";
  const secret: Promise<CryptoKey> | null = env.JWT_SECRET
    ? crypto.subtle.importKey("raw", new TextEncoder().encode(env.JWT_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"])
    : null;
  let jwks: JWTVerifyGetKey | null = null;
  if (env.SUPABASE_JWKS) {
    jwks = createLocalJWKSet(JSON.parse(env.SUPABASE_JWKS) as JSONWebKeySet);
  } else if (env.SUPABASE_URL) {
    jwks = createRemoteJWKSet(new URL("/auth/v1/.well-known/jwks.json", env.SUPABASE_URL), {
      timeoutDuration: 3_000,
      cooldownDuration: 30_000,
    });
  }
  const serviceKeys: string[] = [];
  if (env.SUPABASE_SERVICE_ROLE_KEY) serviceKeys.push(env.SUPABASE_SERVICE_ROLE_KEY);
  if (env.SUPABASE_SECRET_KEYS) {
    try {
      for (const v of Object.values(JSON.parse(env.SUPABASE_SECRET_KEYS) as Record<string, unknown>)) {
        if (typeof v === "string" && v) serviceKeys.push(v);
      }
    } catch {
      /* a malformed variable adds no keys */
    }
  }

  // Service keys are compared through their MACs under a per-process random key: one MAC of the presented
  // token per request, compared in full against each key's MAC, so timing tells nothing about the keys.
  const macKey = crypto.subtle.importKey(
    "raw", crypto.getRandomValues(new Uint8Array(32)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"],
  );
  const mac = async (value: string) => new Uint8Array(await crypto.subtle.sign("HMAC", await macKey, new TextEncoder().encode(value)));
  const serviceMacs = Promise.all(serviceKeys.map(mac));

  async function isServiceKey(token: string): Promise<boolean> {
    if (serviceKeys.length === 0) return false;
    const presented = await mac(token);
    let match = false;
    // Compare against every key, so the time taken does not tell which one matched.
    for (const expected of await serviceMacs) if (equalBytes(presented, expected)) match = true;
    return match;
  }

  const verified = new Map<string, JWTPayload>();
  function remember(token: string, claims: JWTPayload): void {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
  }

  async function verify(token: string): Promise<JWTPayload> {
    const cached = verified.get(token);
    if (cached) {
      if (typeof cached.exp === "number" && cached.exp * 1000 > Date.now()) return cached;
      verified.delete(token);
      throw new ApiError("unauthorized", "the access token has expired");
    }
    const claims = await verifyUncached(token);
    if (typeof claims.exp === "number") remember(token, claims);
    return claims;
  }

  async function verifyUncached(token: string): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new ApiError("unauthorized", "the access token is malformed");
    }
    try {
      if (alg === "HS256" && secret) {
        return (await jwtVerify(token, await secret, { algorithms: ["HS256"] })).payload;
      }
      if (alg && ASYMMETRIC.includes(alg) && jwks) {
        return (await jwtVerify(token, jwks, { algorithms: ASYMMETRIC })).payload;
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ERR_JWT_EXPIRED") throw new ApiError("unauthorized", "the access token has expired");
      throw new ApiError("unauthorized", "the access token is invalid");
    }
    throw new ApiError("unauthorized", "the access token is signed with an algorithm this project does not accept");
  }

  return async function authenticate<M extends AuthMode>(req: Request, mode: M): Promise<PrincipalFor<M>> {
    return (await principalOf(req, mode)) as PrincipalFor<M>;
  };

  // "user" never returns a service principal (the key comparison is skipped) and "service" never a user one
  // (a verified user token is refused below): what PrincipalFor promises.
  async function principalOf(req: Request, mode: AuthMode): Promise<Principal | null> {
    if (mode === "none") return null;
    const header = req.headers.get("authorization");
    if (!header) throw new ApiError("unauthorized", "the Authorization header is missing");
    const m = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/.exec(header.trim());
    if (!m) throw new ApiError("unauthorized", "the Authorization header must be \"Bearer <token>\"");
    const token = m[1]!;

    // A token already verified as a user's cannot be a service key: skip the comparison for it.
    const knownUser = verified.get(token)?.role === "authenticated";
    if (mode !== "user" && !knownUser && (await isServiceKey(token))) return { kind: "service" };
    if (token.startsWith("sb_")) throw new ApiError("unauthorized", "this API key is not accepted here");

    const claims = await verify(token);
    if (claims.role === "service_role") {
      throw new ApiError("unauthorized", mode === "user" ? "a user access token is required" : "this service key is not configured for this project");
    }
    if (mode === "service") throw new ApiError("unauthorized", "the service role key is required");
    const aud = claims.aud;
    const audOk = aud === "authenticated" || (Array.isArray(aud) && aud.includes("authenticated"));
    if (claims.role !== "authenticated" || !audOk) {
      throw new ApiError("unauthorized", "a signed-in user's access token is required");
    }
    if (typeof claims.sub !== "string" || !isUuid(claims.sub)) {
      throw new ApiError("unauthorized", "the access token has no valid \"sub\" claim");
    }
    if (typeof claims.exp !== "number") throw new ApiError("unauthorized", "the access token has no \"exp\" claim");
    if (typeof claims.iss !== "string" || !issuers.includes(claims.iss)) {
      throw new ApiError("unauthorized", "the access token's \"iss\" is not this project's auth server (see JWT_ISSUER)");
    }
    if (claims["is_anonymous"] === true && !allowAnonymous) {
      throw new ApiError("unauthorized", "anonymous users are not allowed (ALLOW_ANONYMOUS_USERS)");
    }
    return { kind: "user", userId: claims.sub.toLowerCase(), claims };
  }
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
