import { describe, expect, it } from "vitest";
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from "jose";
import { createAuthenticator } from "./authenticate.ts";
import { ApiError } from "./api-error.ts";

const SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
const USER = "5b0e8c6a-6f2e-4d0f-9a0c-2f1a7e7b9c01";
const SERVICE_KEY = "service-role-key-value-for-tests";

async function hs256(claims: JWTPayload, secret = SECRET, exp: string | number = "1h") {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}
const PROJECT = "https://project-ref.supabase.co";
const ISS = `${PROJECT}/auth/v1`;
const userClaims = { sub: USER, role: "authenticated", aud: "authenticated", iss: ISS };
const req = (auth?: string) => new Request("http://x/fn", { headers: auth ? { authorization: auth } : {} });

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe("createAuthenticator", async () => {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
  const authenticate = createAuthenticator({
    JWT_SECRET: SECRET, SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY, SUPABASE_JWKS: JSON.stringify({ keys: [jwk] }), SUPABASE_URL: `${PROJECT}/`,
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: "sb_secret_abcdefghijklmnopqrstuvwxyz012345" }),
  });

  it("accepts an HS256 user token and returns the user id", async () => {
    const p = await authenticate(req(`Bearer ${await hs256(userClaims)}`), "user");
    expect(p).toMatchObject({ kind: "user", userId: USER });
  });

  it("accepts an ES256 user token verified against the JWKS", async () => {
    const token = await new SignJWT(userClaims).setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuedAt().setExpirationTime("1h").sign(privateKey);
    expect(await authenticate(req(`Bearer ${token}`), "user")).toMatchObject({ kind: "user", userId: USER });
  });

  it("rejects a missing header, a non-bearer header, garbage, and alg none", async () => {
    expect((await rejection(authenticate(req(), "user"))).message).toMatch(/missing/);
    expect((await rejection(authenticate(req("Basic abc"), "user"))).code).toBe("unauthorized");
    expect((await rejection(authenticate(req("Bearer not.a.jwt"), "user"))).code).toBe("unauthorized");
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" }))}.${btoa(JSON.stringify(userClaims))}.`.replace(/=/g, "");
    expect((await rejection(authenticate(req(`Bearer ${none}`), "user"))).status).toBe(401);
  });

  it("rejects a forged signature and an expired token with distinct messages", async () => {
    const forged = await hs256(userClaims, "another-secret-that-is-at-least-32-characters");
    expect((await rejection(authenticate(req(`Bearer ${forged}`), "user"))).message).toMatch(/invalid/);
    const expired = await hs256(userClaims, SECRET, Math.floor(Date.now() / 1000) - 60);
    expect((await rejection(authenticate(req(`Bearer ${expired}`), "user"))).message).toMatch(/expired/);
  });

  it("rejects the anon key and a token with the wrong audience where a user is needed", async () => {
    const anon = await hs256({ role: "anon", iss: "supabase-demo" });
    expect((await rejection(authenticate(req(`Bearer ${anon}`), "user"))).code).toBe("unauthorized");
    const wrongAud = await hs256({ ...userClaims, aud: "other" });
    expect((await rejection(authenticate(req(`Bearer ${wrongAud}`), "user"))).code).toBe("unauthorized");
  });

  it("treats the service role key as a service caller only where allowed", async () => {
    expect(await authenticate(req(`Bearer ${SERVICE_KEY}`), "user_or_service")).toEqual({ kind: "service" });
    expect(await authenticate(req(`Bearer ${SERVICE_KEY}`), "service")).toEqual({ kind: "service" });
    await rejection(authenticate(req(`Bearer ${SERVICE_KEY}`), "user"));
    const user = await hs256(userClaims);
    expect((await rejection(authenticate(req(`Bearer ${user}`), "service"))).message).toMatch(/service role/);
  });

  it("checks the issuer: SUPABASE_URL's auth server by default, JWT_ISSUER when set", async () => {
    for (const iss of [undefined, "", "https://evil.example/auth/v1", `${PROJECT}/auth/v1/`, PROJECT, `${ISS}x`]) {
      const token = await hs256({ ...userClaims, iss });
      expect((await rejection(authenticate(req(`Bearer ${token}`), "user"))).message).toMatch(/"iss"/);
    }
    const custom = createAuthenticator({ JWT_SECRET: SECRET, SUPABASE_URL: "http://kong:8000", JWT_ISSUER: " http://127.0.0.1:54321/auth/v1 , https://auth.example.com/auth/v1" });
    for (const iss of ["http://127.0.0.1:54321/auth/v1", "https://auth.example.com/auth/v1"]) {
      expect(await custom(req(`Bearer ${await hs256({ ...userClaims, iss })}`), "user")).toMatchObject({ kind: "user" });
    }
    await rejection(custom(req(`Bearer ${await hs256({ ...userClaims, iss: "http://kong:8000/auth/v1" })}`), "user"));
    const unconfigured = createAuthenticator({ JWT_SECRET: SECRET });
    await rejection(unconfigured(req(`Bearer ${await hs256(userClaims)}`), "user"));
  });

  it("refuses anonymous users unless ALLOW_ANONYMOUS_USERS=true", async () => {
    const anonymous = await hs256({ ...userClaims, is_anonymous: true });
    expect((await rejection(authenticate(req(`Bearer ${anonymous}`), "user"))).message).toMatch(/anonymous/);
    expect(await authenticate(req(`Bearer ${await hs256({ ...userClaims, is_anonymous: false })}`), "user")).toMatchObject({ kind: "user" });
    const allowing = createAuthenticator({ JWT_SECRET: SECRET, SUPABASE_URL: PROJECT, ALLOW_ANONYMOUS_USERS: "true" });
    expect(await allowing(req(`Bearer ${anonymous}`), "user")).toMatchObject({ kind: "user", userId: USER });
  });

  it("takes only the configured keys as the service, never a JWT that says role service_role", async () => {
    const minted = await hs256({ role: "service_role", iss: "supabase-demo" });
    for (const mode of ["service", "user_or_service", "user"] as const) {
      expect((await rejection(authenticate(req(`Bearer ${minted}`), mode))).code).toBe("unauthorized");
    }
    expect(await authenticate(req("Bearer sb_secret_abcdefghijklmnopqrstuvwxyz012345"), "service")).toEqual({ kind: "service" });
    await rejection(authenticate(req("Bearer sb_secret_abcdefghijklmnopqrstuvwxyz012346"), "service"));
    await rejection(authenticate(req("Bearer sb_publishable_abcdefghijklmnopqrstuvwxyz"), "user_or_service"));
    // The legacy service_role key is itself such a JWT: it is the service because it is the configured key.
    const legacy = await hs256({ role: "service_role", iss: "supabase-demo" }, SECRET, "10y");
    const withLegacy = createAuthenticator({ JWT_SECRET: SECRET, SUPABASE_URL: PROJECT, SUPABASE_SERVICE_ROLE_KEY: legacy });
    expect(await withLegacy(req(`Bearer ${legacy}`), "service")).toEqual({ kind: "service" });
    await rejection(withLegacy(req(`Bearer ${minted}`), "service"));
  });

  it("still rejects a token once it expires, after it was verified and cached", async () => {
    const soon = await hs256(userClaims, SECRET, Math.floor(Date.now() / 1000) + 1);
    expect(await authenticate(req(`Bearer ${soon}`), "user")).toMatchObject({ kind: "user" });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await rejection(authenticate(req(`Bearer ${soon}`), "user"))).message).toMatch(/expired/);
  });

  it("a cached user token is never taken for the service key, and the service key still works", async () => {
    const user = await hs256(userClaims);
    await authenticate(req(`Bearer ${user}`), "user_or_service");
    expect(await authenticate(req(`Bearer ${user}`), "user_or_service")).toMatchObject({ kind: "user" });
    expect(await authenticate(req(`Bearer ${SERVICE_KEY}`), "user_or_service")).toEqual({ kind: "service" });
  });

  it("never puts the presented token in the error", async () => {
    const forged = await hs256(userClaims, "another-secret-that-is-at-least-32-characters");
    const err = await rejection(authenticate(req(`Bearer ${forged}`), "user"));
    expect(JSON.stringify({ m: err.message, e: err.extra })).not.toContain(forged.slice(0, 20));
  });
});
