import { webhookSecretKey } from "./webhook-secret.ts";

/** The headers of a Standard Webhooks delivery. */
export interface WebhookSignatureHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Signs a delivery as Standard Webhooks specifies: HMAC-SHA256 with the secret's key over
 * `<id>.<timestamp>.<body>`, sent as `v1,<base64>`. `timestampSeconds` is Unix seconds.
 *
 * @throws TypeError naming the field when the secret, id or timestamp is malformed.
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<WebhookSignatureHeaders> {
  if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new TypeError('"id" must be 1 to 128 characters of [A-Za-z0-9_-]');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new TypeError('"timestamp" must be Unix seconds');
  const key = await crypto.subtle.importKey("raw", webhookSecretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`)));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${btoa(String.fromCharCode(...mac))}`,
  };
}
