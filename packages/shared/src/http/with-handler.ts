import { CryptoError } from "../crypto/crypto-error.ts";
import { EngineError } from "../engine/engine-error.ts";
import type { Logger } from "../log/logger.ts";
import { ApiError, errorBody, INTERNAL_ERROR_MESSAGE, keyUnavailable } from "./api-error.ts";
import type { Authenticate, AuthMode, PrincipalFor } from "./authenticate.ts";
import { CORS_RESPONSE_HEADERS, preflightResponse, withCors } from "./cors.ts";
import { apiErrorOf } from "./engine-error-response.ts";
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from "./read-json-body.ts";

export type Method = "GET" | "POST" | "DELETE";

export interface HandlerContext<M extends AuthMode> {
  /** The caller, as the route's auth mode admits it: a user, the service, either, or nobody (`none`). */
  principal: PrincipalFor<M>;
  /** The parsed JSON body of a POST (`{}` when empty); `{}` for GET and DELETE. */
  body: Record<string, unknown>;
  url: URL;
}

/** What one method of a function does: who may call it, how large its body may be, and the handler. */
export interface Route<M extends AuthMode> {
  auth: M;
  maxBodyBytes?: number;
  handle: (req: Request, ctx: HandlerContext<M>) => Promise<Response>;
}

type AnyRoute = { [M in AuthMode]: Route<M> }[AuthMode];

/** A function's routes by method; the methods it does not list are answered 405. */
export type Routes = { [K in Method]?: AnyRoute };

/** Declares a route, so that its handler's `principal` has the type its `auth` mode gives. */
export function route<M extends AuthMode>(r: Route<M>): Route<NoInfer<M>> {
  return r;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    // CORS set here at construction; withCors then finds it and leaves the headers alone.
    headers: { ...CORS_RESPONSE_HEADERS, "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function errorResponse(err: ApiError): Response {
  return json(errorBody(err), err.status, err.headers);
}

/** The HTTP error of what a handler threw, when it is one of the errors with a contract code. */
function contractError(caught: unknown): ApiError | null {
  if (caught instanceof ApiError) return caught;
  if (caught instanceof EngineError) return apiErrorOf(caught);
  if (caught instanceof CryptoError && caught.code === "key_unavailable" && caught.keyId) return keyUnavailable(caught.keyId);
  return null;
}

/** Auth, then the body, then the handler: one route's part of {@link withHandler}. */
async function serve<M extends AuthMode>(deps: { authenticate: Authenticate }, r: Route<M>, req: Request): Promise<Response> {
  const principal = await deps.authenticate(req, r.auth);
  const body = req.method === "POST" ? await readJsonBody(req, r.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) : {};
  let url: URL | undefined;
  // Parsed only for the handlers that read it.
  return r.handle(req, { principal, body, get url() { return (url ??= new URL(req.url)); } });
}

/**
 * Wraps a function's routes: preflight → method → auth → body → act, inside try/catch, CORS on every
 * response. An ApiError (or an engine or key-ring error, mapped to its contract code) becomes its status and
 * body; anything else a 500 with a fixed message (the error's own message may carry data and never reaches
 * the caller or the log).
 */
export function withHandler(
  deps: { authenticate: Authenticate; logger: Logger; flushLogs?: () => void },
  routes: Routes,
): (req: Request) => Promise<Response> {
  const methods = Object.keys(routes) as Method[];
  return async (req) => {
    if (req.method === "OPTIONS") return preflightResponse();
    try {
      return await answer(req);
    } finally {
      // The lines a request logged are written by the time its answer leaves (log/batched-sink.ts).
      deps.flushLogs?.();
    }
  };

  async function answer(req: Request): Promise<Response> {
    try {
      const r = Object.hasOwn(routes, req.method) ? routes[req.method as Method] : undefined;
      if (!r) {
        throw new ApiError("method_not_allowed", `method must be ${methods.join(" or ")}`, {}, {
          allow: [...methods, "OPTIONS"].join(", "),
        });
      }
      return withCors(await serve(deps, r as Route<AuthMode>, req));
    } catch (caught) {
      const err = contractError(caught);
      if (err) {
        if (err.status >= 500) deps.logger.warn("request_failed", { code: err.code });
        return withCors(errorResponse(err));
      }
      deps.logger.error("unhandled_error", {
        error: (caught as Error)?.name ?? typeof caught,
        // SQLSTATE class and code only (the logger hides keys named like "code" or "state").
        sql_error: typeof (caught as { code?: unknown })?.code === "string" ? (caught as { code: string }).code.slice(0, 8) : undefined,
      });
      return withCors(json({ error: { code: "internal", message: INTERNAL_ERROR_MESSAGE } }, 500));
    }
  }
}
