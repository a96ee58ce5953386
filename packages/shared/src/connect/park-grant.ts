import type { KeyRing } from "../crypto/key-ring.ts";
import type { Sql } from "../db/create-sql.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import { connectIdHashHex, newConnectId, PARKED_GRANT_TTL_SECONDS, sealGrant } from "./parked-grant.ts";

/**
 * An exchanged grant waiting for its claim.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export interface GrantToPark {
  readonly userId: string;
  readonly provider: string;
  readonly accountId: string;
  readonly tokens: TokenSet;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Parks an exchanged grant in `oauth_parked_grants` for {@link PARKED_GRANT_TTL_SECONDS} seconds: the tokens
 * as one ciphertext bound to the new row, only the SHA-256 of the connect id.
 *
 * @returns The connect id for the browser (never stored, never logged in full).
 */
export async function parkGrant(sql: Sql, ring: KeyRing, grant: GrantToPark): Promise<{ connectId: string; expiresAt: Date }> {
  const connectId = newConnectId();
  const id = crypto.randomUUID();
  const sealed = await sealGrant(ring, id, grant.tokens);
  const [row] = await sql<{ expires_at: Date }[]>`
    insert into public.oauth_parked_grants
      (id, connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id, metadata, expires_at)
    values (
      ${id}, decode(${await connectIdHashHex(connectId)}, 'hex'), ${grant.userId}, ${grant.provider}, ${grant.accountId},
      ${sealed}, ${ring.primaryKeyId}, ${JSON.stringify(grant.metadata)}::text::jsonb,
      now() + make_interval(secs => ${PARKED_GRANT_TTL_SECONDS})
    )
    returning expires_at`;
  return { connectId, expiresAt: new Date(row!.expires_at) };
}
