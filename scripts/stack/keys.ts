/**
 * The local stack's keys, made the way the Supabase CLI makes them: a JWT secret, the anon and service_role
 * API keys signed with it (HS256), and an ES256 signing key published as a JWKS, as hosted projects with
 * asymmetric JWT signing keys do. User access tokens come from {@link signUserToken}.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { API_URL, KEY_DIR } from "./paths.ts";

/** The Supabase CLI's default local JWT secret: with it the anon and service keys equal the CLI's. */
export const DEFAULT_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
const DEMO_KEY_EXP = 1983812996;

export interface StackKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  /** ES256 private key as a JWK with its kid. */
  signingKey: JWK;
  /** The public JWKS served at /auth/v1/.well-known/jwks.json. */
  jwks: { keys: JWK[] };
  /** TOKEN_ENCRYPTION_KEYS for the functions when supabase/functions/.env does not set one. */
  tokenEncryptionKeys: string;
}

async function signApiKey(role: string, secret: string): Promise<string> {
  return new SignJWT({ iss: "supabase-demo", role, exp: DEMO_KEY_EXP })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

/** Loads the stack's keys from `.stack/keys`, creating what is missing. */
export async function loadKeys(): Promise<StackKeys> {
  mkdirSync(KEY_DIR, { recursive: true, mode: 0o700 });
  const jwtSecret = process.env.STACK_JWT_SECRET ?? DEFAULT_JWT_SECRET;

  const signingFile = join(KEY_DIR, "signing-key.json");
  let signingKey: JWK;
  if (existsSync(signingFile)) {
    signingKey = JSON.parse(readFileSync(signingFile, "utf8")) as JWK;
  } else {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    signingKey = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: "ES256", use: "sig" };
    writeFileSync(signingFile, JSON.stringify(signingKey), { mode: 0o600 });
  }
  const { d: _private, ...publicJwk } = signingKey;

  const tokenKeyFile = join(KEY_DIR, "token-encryption-keys");
  let tokenEncryptionKeys: string;
  if (existsSync(tokenKeyFile)) {
    tokenEncryptionKeys = readFileSync(tokenKeyFile, "utf8").trim();
  } else {
    tokenEncryptionKeys = `local1:${randomBytes(32).toString("hex")}`;
    writeFileSync(tokenKeyFile, tokenEncryptionKeys + "\n", { mode: 0o600 });
  }

  return {
    jwtSecret,
    anonKey: await signApiKey("anon", jwtSecret),
    serviceRoleKey: await signApiKey("service_role", jwtSecret),
    signingKey,
    jwks: { keys: [publicJwk] },
    tokenEncryptionKeys,
  };
}

export interface UserTokenOptions {
  alg?: "HS256" | "ES256";
  expiresInSeconds?: number;
}

/** Signs a user access token shaped like GoTrue's (aud `authenticated`, role `authenticated`). */
export async function signUserToken(
  keys: StackKeys,
  user: { id: string; email: string; app_metadata?: Record<string, unknown> },
  options: UserTokenOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    email: user.email,
    phone: "",
    app_metadata: { provider: "email", providers: ["email"], ...(user.app_metadata ?? {}) },
    user_metadata: {},
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: now }],
    session_id: randomUUID(),
    is_anonymous: false,
  })
    .setSubject(user.id)
    .setAudience("authenticated")
    .setIssuer(`${API_URL}/auth/v1`)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSeconds ?? 3600));
  if ((options.alg ?? "HS256") === "ES256") {
    const key = await importJWK(keys.signingKey, "ES256");
    return jwt.setProtectedHeader({ alg: "ES256", typ: "JWT", kid: keys.signingKey.kid! }).sign(key);
  }
  return jwt.setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(keys.jwtSecret));
}
