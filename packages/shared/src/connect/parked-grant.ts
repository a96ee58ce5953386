import { decryptSecret } from "../crypto/decrypt-secret.ts";
import { encryptSecret } from "../crypto/encrypt-secret.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { encodeBase64Url } from "../crypto/base64url.ts";
import type { TokenSet } from "../oauth/token-set.ts";

/**
 * How long a parked grant waits for its claim (oauth-complete): 10 minutes, like the state. The page at
 * `redirect_to` claims it within a second of loading; what waits longer was never meant to be claimed.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export const PARKED_GRANT_TTL_SECONDS = 600;

/** The table whose rows bind a parked grant's ciphertext (its AAD table). */
export const PARKED_GRANTS_TABLE = "public.oauth_parked_grants";

/** Random bytes in a connect id: 256 bits, so guessing one is hopeless and ids never collide. */
export const CONNECT_ID_BYTES = 32;

const CONNECT_ID_FORM = /^[A-Za-z0-9_-]{43}$/;

/**
 * A fresh connect id: 32 random bytes, base64url without padding (43 characters).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.10
 */
export function newConnectId(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(CONNECT_ID_BYTES)));
}

/**
 * Whether a value has the form {@link newConnectId} issues, so anything else is refused before it reaches
 * the database.
 */
export function isWellFormedConnectId(value: unknown): value is string {
  return typeof value === "string" && CONNECT_ID_FORM.test(value);
}

/**
 * SHA-256 of a connect id, as 64 lower-case hex characters: only this digest is stored, so a copy of the
 * table cannot be used to claim a grant.
 */
export async function connectIdHashHex(connectId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(connectId)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A short reference to a connect id for log lines (the first 8 hex characters of its SHA-256 under a
 * label): enough to follow one flow through the logs, useless for claiming it.
 */
export async function connectIdRef(connectId: string): Promise<string> {
  return (await connectIdHashHex(`provider-tokens/connect:${connectId}`)).slice(0, 8);
}

interface SealedFields {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  scopes: readonly string[];
  expires_at: number;
  expires_at_assumed: boolean;
  refresh_token_expires_at?: number;
}

const aad = (rowId: string) => ({ table: PARKED_GRANTS_TABLE, column: "sealed_grant", rowId: rowId.toLowerCase() });

/**
 * Encrypts an exchanged grant for its `oauth_parked_grants` row (one ciphertext, bound to the row id and
 * column, so it decrypts nowhere else).
 *
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 */
export function sealGrant(ring: KeyRing, rowId: string, tokens: TokenSet): Promise<string> {
  const fields: SealedFields = {
    access_token: tokens.accessToken,
    ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
    token_type: tokens.tokenType,
    scopes: tokens.scopes,
    expires_at: tokens.expiresAt.getTime(),
    expires_at_assumed: tokens.expiresAtAssumed,
    ...(tokens.refreshTokenExpiresAt === undefined ? {} : { refresh_token_expires_at: tokens.refreshTokenExpiresAt.getTime() }),
  };
  return encryptSecret(ring, JSON.stringify(fields), aad(rowId));
}

/**
 * Decrypts a parked grant back into the {@link TokenSet} the callback received.
 *
 * @throws CryptoError when the envelope does not decrypt for this row; TypeError when its content is not a
 *   sealed grant.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export async function openGrant(ring: KeyRing, rowId: string, envelope: string): Promise<TokenSet> {
  const fields = JSON.parse(await decryptSecret(ring, envelope, aad(rowId))) as Partial<SealedFields>;
  if (typeof fields.access_token !== "string" || typeof fields.expires_at !== "number" || !Array.isArray(fields.scopes)) {
    throw new TypeError("the parked grant is not a sealed token response");
  }
  return {
    accessToken: fields.access_token,
    refreshToken: typeof fields.refresh_token === "string" ? fields.refresh_token : undefined,
    refreshTokenRotated: false,
    tokenType: typeof fields.token_type === "string" ? fields.token_type : "Bearer",
    scopes: fields.scopes.filter((s): s is string => typeof s === "string"),
    expiresAt: new Date(fields.expires_at),
    expiresAtAssumed: fields.expires_at_assumed === true,
    ...(typeof fields.refresh_token_expires_at === "number" ? { refreshTokenExpiresAt: new Date(fields.refresh_token_expires_at) } : {}),
  };
}
