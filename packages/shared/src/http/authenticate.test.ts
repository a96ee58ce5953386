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
const userClaims = { sub: USER, role: "authenticated", aud: "authenticated" };
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
    JWT_SECRET: SECRET, SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY, SUPABASE_JWKS: JSON.stringify({ keys: [jwk] }),
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
