/** The event types an endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  "connection.needs_reauth",
  "connection.refresh_failing",
  "connection.recovered",
  "provider.client_misconfigured",
  "provider.recovered",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_FORMATS = ["standard", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Thrown for an unusable endpoint field; `field` names it. */
export class WebhookInputError extends TypeError {
  override readonly name = "WebhookInputError";
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/**
 * An endpoint URL: absolute http(s), at most 2048 characters, no user info, no fragment. Endpoints are added
 * only by operators (the service role or an admin), who can reach the network anyway, so private addresses
 * are not refused; README, "Alerts", says so.
 */
export function parseWebhookUrl(value: unknown, field = "url"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) {
    throw new WebhookInputError(field, `"${field}" must be an http(s) URL of at most 2048 characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookInputError(field, `"${field}" must be an absolute http(s) URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new WebhookInputError(field, `"${field}" must use https or http`);
  if (url.username || url.password) throw new WebhookInputError(field, `"${field}" must not carry a user name or password`);
  if (url.hash) throw new WebhookInputError(field, `"${field}" must not have a fragment`);
  if (/\s/.test(value)) throw new WebhookInputError(field, `"${field}" must not contain whitespace`);
  return url.href;
}

export function parseWebhookFormat(value: unknown, field = "format"): WebhookFormat {
  if (value === undefined || value === null) return "standard";
  if (typeof value !== "string" || !(WEBHOOK_FORMATS as readonly string[]).includes(value)) {
    throw new WebhookInputError(field, `"${field}" must be "standard" or "slack"`);
  }
  return value as WebhookFormat;
}

/** An event filter: null (every event) or a non-empty list of distinct known event types. */
export function parseWebhookEvents(value: unknown, field = "events"): WebhookEventType[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > WEBHOOK_EVENT_TYPES.length) {
    throw new WebhookInputError(field, `"${field}" must be null or a non-empty array of event types`);
  }
  for (const v of value) {
    if (typeof v !== "string" || !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(v)) {
      throw new WebhookInputError(field, `"${field}" must only contain ${WEBHOOK_EVENT_TYPES.join(", ")}`);
    }
  }
  if (new Set(value).size !== value.length) throw new WebhookInputError(field, `"${field}" must not repeat an event type`);
  return value as WebhookEventType[];
}
