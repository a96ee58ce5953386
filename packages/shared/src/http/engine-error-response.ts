import type { EngineError } from "../engine/engine-error.ts";
import { ApiError } from "./api-error.ts";

/** The HTTP error of an engine outcome: same code, and what the contract adds to it (README, get-token). */
export function apiErrorOf(err: EngineError): ApiError {
  switch (err.code) {
    case "needs_reauth":
      return new ApiError("needs_reauth", err.message, { reconnect: true });
    case "provider_unavailable": {
      const seconds = Math.max(1, Math.ceil((err.retryAfterMs ?? 0) / 1000));
      return new ApiError("provider_unavailable", err.message, { retry_after: seconds }, { "retry-after": String(seconds) });
    }
    default:
      return new ApiError(err.code, err.message);
  }
}
