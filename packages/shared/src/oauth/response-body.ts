/**
 * A provider response body read once: the text, and its fields when it is a JSON object or (for providers
 * that may answer form-encoded, GitHub) `application/x-www-form-urlencoded`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface ResponseBody {
  readonly text: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
  readonly format: "json" | "form" | "unparsed";
}

/**
 * Parses body text. JSON is detected by content rather than `Content-Type`, because several providers label
 * JSON as `text/plain` or `text/html`; form encoding is only considered when `allowForm` is set.
 *
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
 */
export function parseResponseText(text: string, contentType: string | null, allowForm: boolean): ResponseBody {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        return { text, fields: parsed as Record<string, unknown>, format: "json" };
      }
    } catch {
      // not JSON; fall through
    }
  }
  if (trimmed.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      // Arrays (Xero's /connections) are exposed under numeric keys so dotted paths like "0.tenantId" work.
      if (Array.isArray(parsed)) return { text, fields: { ...parsed }, format: "json" };
    } catch {
      // not JSON; fall through
    }
  }
  const isForm = (contentType ?? "").toLowerCase().includes("application/x-www-form-urlencoded");
  if (allowForm && (isForm || /^[A-Za-z0-9_]+=[^\s]*$/.test(trimmed))) {
    return { text, fields: Object.fromEntries(new URLSearchParams(trimmed)), format: "form" };
  }
  return { text, fields: undefined, format: "unparsed" };
}

/**
 * Reads a response body once and parses it with {@link parseResponseText}.
 *
 * @throws whatever reading the stream throws (an abort or network error); callers classify it as transient.
 */
export async function readResponseBody(response: Response, allowForm = false): Promise<ResponseBody> {
  const text = await response.text();
  return parseResponseText(text, response.headers.get("content-type"), allowForm);
}
