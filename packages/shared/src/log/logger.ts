/**
 * Structured JSON log lines for the functions. Nothing secret gets through: values under secret-looking
 * keys are replaced, strings that look like bearer tokens or JWTs are masked, and user ids are logged as a
 * short SHA-256 digest (enough to correlate lines, not to identify a person).
 */
export type LogFields = Record<string, unknown>;

const SECRET_KEY = /token|secret|authorization|apikey|password|verifier|code$|^code|state$|cookie|key$/i;
/**
 * Fields named like a code that carry an error code, not a credential: `code`, `error_code`, `upstream_code`…
 * Their value is kept when it has the shape of one (snake_case words, at most 64 characters, no digits);
 * anything else under such a name (an authorization code, a device code) is redacted like any secret.
 * Names that are always credentials stay redacted whatever the value.
 */
const ERROR_CODE_KEY = /^(?:[a-z]+_)*code$/i;
const ALWAYS_SECRET_CODE_KEY =
  /(?:^|_)(?:auth|oauth|authorization|grant|device|user|verification|confirmation|one_time|otp|recovery|reset|invite|login|pairing|sms|email)_?code$/i;
const ERROR_CODE_VALUE = /^[a-z]+(?:_[a-z]+)*$/;
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const LONG_OPAQUE = /\b[A-Za-z0-9_\-.~+/]{32,}={0,2}/g;

/** Masks anything token-shaped in a free-text string. */
export function scrubText(text: string): string {
  return text.replace(JWT_LIKE, "[jwt]").replace(LONG_OPAQUE, "[redacted]");
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 4) return "[depth]";
  if (typeof value === "string") return scrubText(value).slice(0, 500);
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (isErrorCodeField(k, v)) out[k] = v;
      else out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

function isErrorCodeField(key: string, value: unknown): boolean {
  return ERROR_CODE_KEY.test(key) && !ALWAYS_SECRET_CODE_KEY.test(key) && typeof value === "string" && value.length <= 64
    && ERROR_CODE_VALUE.test(value);
}

/** A short, stable digest of a user id for log correlation. */
export async function userRef(userId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`provider-tokens:${userId}`));
  return Array.from(new Uint8Array(digest).slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export function createLogger(fn: string, sink: (line: string) => void = (l) => console.log(l)): Logger {
  const write = (level: string, event: string, fields: LogFields = {}) =>
    sink(JSON.stringify({ ts: new Date().toISOString(), level, fn, event, ...(redact(fields) as LogFields) }));
  return {
    info: (e, f) => write("info", e, f),
    warn: (e, f) => write("warn", e, f),
    error: (e, f) => write("error", e, f),
  };
}
