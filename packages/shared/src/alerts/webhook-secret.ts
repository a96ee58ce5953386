import { decryptSecret } from "../crypto/decrypt-secret.ts";
import { encryptSecret } from "../crypto/encrypt-secret.ts";
import type { KeyRing } from "../crypto/key-ring.ts";

/** The table whose `secret` column holds the encrypted signing secrets; part of each ciphertext's AAD. */
export const WEBHOOK_ENDPOINTS_TABLE = "public.webhook_endpoints";

const WHSEC = /^whsec_([A-Za-z0-9+/]{22,}={0,2})$/;

/**
 * The HMAC key of a Standard Webhooks secret: the base64-decoded part after `whsec_`, 16 to 64 bytes.
 *
 * @throws TypeError naming `secret` when the value is not `whsec_<base64>` of that size.
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme
 */
export function webhookSecretKey(secret: string): Uint8Array<ArrayBuffer> {
  const m = typeof secret === "string" ? WHSEC.exec(secret) : null;
  if (!m) throw new TypeError('"secret" must be "whsec_" followed by base64 of 16 to 64 bytes');
  let raw: string;
  try {
    raw = atob(m[1]!);
  } catch {
    throw new TypeError('"secret" must be "whsec_" followed by base64 of 16 to 64 bytes');
  }
  if (raw.length < 16 || raw.length > 64) throw new TypeError('"secret" must be "whsec_" followed by base64 of 16 to 64 bytes');
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** A new signing secret: `whsec_` and 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

const aad = (endpointId: string) => ({ table: WEBHOOK_ENDPOINTS_TABLE, column: "secret", rowId: endpointId.toLowerCase() });

/** Encrypts a signing secret for its endpoint row (the id must be known before the insert). */
export function encryptWebhookSecret(ring: KeyRing, endpointId: string, secret: string): Promise<string> {
  webhookSecretKey(secret);
  return encryptSecret(ring, secret, aad(endpointId));
}

export function decryptWebhookSecret(ring: KeyRing, endpointId: string, envelope: string): Promise<string> {
  return decryptSecret(ring, envelope, aad(endpointId));
}
