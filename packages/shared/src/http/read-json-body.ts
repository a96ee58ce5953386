import { ApiError } from "./api-error.ts";

/** Request bodies are small JSON objects; anything larger is refused before it is parsed. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads a JSON object body, stopping at `maxBytes` whatever Content-Length claims.
 * An empty body reads as `{}` (pg_cron and curl send none or `{}`).
 */
export async function readJsonBody(req: Request, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const length = req.headers.get("content-length");
  if (length !== null) {
    if (Number(length) > maxBytes) throw new ApiError("payload_too_large", `request body must be at most ${maxBytes} bytes`);
    // The server frames the body by its declared length, checked above: read it in one go, without asking
    // for `req.body` first (that getter builds a ReadableStream the one-go read does not need).
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw new ApiError("payload_too_large", `request body must be at most ${maxBytes} bytes`);
    return parseObject(bytes);
  }
  if (!req.body) return {};
  return parseObject(await readLimited(req.body, maxBytes));
}

async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ApiError("payload_too_large", `request body must be at most ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function parseObject(bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError("invalid_request", "request body must be UTF-8 JSON");
  }
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError("invalid_request", "request body must be valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError("invalid_request", "request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}
