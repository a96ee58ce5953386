/** An alert event as stored and delivered: `{ type, timestamp, data }`. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

const SUMMARY: Record<string, string> = {
  "connection.needs_reauth": "A connection needs to be reconnected by its user",
  "connection.refresh_failing": "A connection keeps failing to refresh",
  "connection.recovered": "A connection works again",
  "provider.client_misconfigured": "The provider rejects our client credentials: every refresh for it is paused",
  "provider.recovered": "The provider accepts our client credentials again",
  "webhook.test": "Test delivery from provider-tokens",
};

// Slack mrkdwn treats &, < and > as control characters.
const esc = (v: unknown) => String(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * The Slack incoming-webhook body for an event: `text` (the notification and fallback) and one section block
 * listing the event's data.
 *
 * @see https://api.slack.com/messaging/webhooks
 */
export function slackBody(payload: WebhookPayload): { text: string; blocks: unknown[] } {
  const summary = SUMMARY[payload.type] ?? payload.type;
  const fields = Object.entries(payload.data ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `*${esc(k)}*: ${esc(typeof v === "object" ? JSON.stringify(v) : v)}`);
  const provider = typeof payload.data?.provider === "string" ? ` (${esc(payload.data.provider)})` : "";
  const text = `${esc(summary)}${provider}: ${esc(payload.type)}`;
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${text}*\n${fields.join("\n")}\n_${esc(payload.timestamp)}_` } },
    ],
  };
}
