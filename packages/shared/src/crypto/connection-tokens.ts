import { decryptSecret } from "./decrypt-secret.ts";
import { encryptSecret } from "./encrypt-secret.ts";
import type { KeyRing } from "./key-ring.ts";
import { needsReencryption, reencryptSecret } from "./reencrypt-secret.ts";

/** The table whose token columns these helpers encrypt; part of every ciphertext's associated data. */
export const CONNECTIONS_TABLE = "public.platform_connections";

type TokenColumn = "access_token" | "refresh_token" | "pkce_verifier";

const aad = (rowId: string, column: TokenColumn, table = CONNECTIONS_TABLE) => ({ table, column, rowId: rowId.toLowerCase() });

/**
 * Encrypts a connection's tokens for its row. The row id must be known before the insert (generate it, or
 * reuse the existing row's id on reconnect): each ciphertext is bound to its row and column.
 */
export async function encryptConnectionTokens(
  ring: KeyRing,
  rowId: string,
  tokens: { accessToken: string; refreshToken?: string | undefined },
): Promise<{ accessToken: string; refreshToken: string | null; keyId: string }> {
  return {
    accessToken: await encryptSecret(ring, tokens.accessToken, aad(rowId, "access_token")),
    refreshToken: tokens.refreshToken ? await encryptSecret(ring, tokens.refreshToken, aad(rowId, "refresh_token")) : null,
    keyId: ring.primaryKeyId,
  };
}

export function decryptConnectionToken(ring: KeyRing, rowId: string, column: "access_token" | "refresh_token", envelope: string): Promise<string> {
  return decryptSecret(ring, envelope, aad(rowId, column));
}

/**
 * The stored refresh token, re-encrypted under the primary key if an older key encrypted it, for a save
 * that keeps it (a provider that sends no new one): both columns must be under the same key id.
 */
export async function carryRefreshToken(ring: KeyRing, rowId: string, envelope: string): Promise<string> {
  return needsReencryption(ring, envelope) ? reencryptSecret(ring, envelope, aad(rowId, "refresh_token")) : envelope;
}

/** Encrypts a value of another table's row (e.g. an oauth_states PKCE verifier), bound to that row. */
export function encryptForRow(ring: KeyRing, table: string, rowId: string, column: TokenColumn, value: string): Promise<string> {
  return encryptSecret(ring, value, aad(rowId, column, table));
}

export function decryptForRow(ring: KeyRing, table: string, rowId: string, column: TokenColumn, envelope: string): Promise<string> {
  return decryptSecret(ring, envelope, aad(rowId, column, table));
}
