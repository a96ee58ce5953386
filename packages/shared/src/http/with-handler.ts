import { CryptoError } from "../crypto/crypto-error.ts";
import { ApiError, errorBody, INTERNAL_ERROR_MESSAGE, keyUnavailable } from "./api-error.ts";
import type { Authenticate, AuthMode, Principal } from "./authenticate.ts";
import { withCors } from "./cors.ts";
import type { Logger } from "../log/logger.ts";
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from "./read-json-body.ts";

export interface HandlerOptions {
  methods: readonly ("GET" | "POST" | "DELETE")[];
  auth: AuthMode;
  maxBodyBytes?: number;
}

export interface HandlerContext {
  principal: Principal | null;
  /** The parsed JSON body of a POST (`{}` when empty); `{}` for GET. */
  body: Record<string, unknown>;
  url: URL;
}

export type Handler = (req: Request, ctx: HandlerContext) => Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function errorResponse(err: ApiError): Response {
  return json(errorBody(err), err.status, err.headers);
}

/**
 * Wraps a function's handler: preflight → method → auth → body → act, inside try/catch, CORS on every
 * response. An ApiError becomes its contract status and body; anything else a 500 with a fixed message
 * (the error's own message may carry data and never reaches the caller or the log).
 */
export function withHandler(
  deps: { authenticate: Authenticate; logger: Logger },
  options: HandlerOptions,
  handler: Handler,
): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method === "OPTIONS") return withCors(new Response(null, { status: 204 }));
    try {
      if (!(options.methods as readonly string[]).includes(req.method)) {
        throw new ApiError("method_not_allowed", `method must be ${options.methods.join(" or ")}`, {}, {
          allow: [...options.methods, "OPTIONS"].join(", "),
        });
      }
      const principal = await deps.authenticate(req, options.auth);
      const body = req.method === "POST" ? await readJsonBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) : {};
      return withCors(await handler(req, { principal, body, url: new URL(req.url) }));
    } catch (caught) {
      const err = caught instanceof CryptoError && caught.code === "key_unavailable" && caught.keyId ? keyUnavailable(caught.keyId) : caught;
      if (err instanceof ApiError) {
        if (err.status >= 500) deps.logger.warn("request_failed", { code: err.code });
        return withCors(errorResponse(err));
      }
      deps.logger.error("unhandled_error", {
        error: (err as Error)?.name ?? typeof err,
        // SQLSTATE class and code only (the logger hides keys named like "code" or "state").
        sql_error: typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code.slice(0, 8) : undefined,
      });
      return withCors(json({ error: { code: "internal", message: INTERNAL_ERROR_MESSAGE } }, 500));
    }
  };
}
