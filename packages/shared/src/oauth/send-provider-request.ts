import { classifyNetworkError } from "./classify-provider-failure.ts";
import type { ProviderOperation } from "./provider-error.ts";

/**
 * Default bound on every provider call (10 s), covering connect, headers and body. Chosen well under the
 * refresh engine's lease so that a call can never outlive the lease that protects it; keep any lease at least
 * 3x this value.
 */
export const PROVIDER_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Upper bound accepted for a custom timeout (30 s).
 */
export const MAX_PROVIDER_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The fetch function shape the token client needs (global `fetch` fits; tests inject their own).
 */
export type FetchLike = (input: Request, init?: RequestInit) => Promise<Response>;

/**
 * Options of every call through the token client.
 */
export interface SendOptions {
  /** Fetch implementation (default: global `fetch`). */
  readonly fetch?: FetchLike | undefined;
  /** Timeout in ms (default {@link PROVIDER_REQUEST_TIMEOUT_MS}, at most {@link MAX_PROVIDER_REQUEST_TIMEOUT_MS}). */
  readonly timeoutMs?: number | undefined;
  /** Caller's abort signal (e.g. the lease ending), combined with the timeout. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Sends a provider request with a timeout (`AbortSignal.timeout`, combined with the caller's signal). The
 * returned response's body stays bound by the same signal, so reading it cannot hang either.
 *
 * @throws ProviderError `transient` for network errors, timeouts and aborts.
 * @throws TypeError for a timeout outside (0, {@link MAX_PROVIDER_REQUEST_TIMEOUT_MS}].
 */
export async function sendProviderRequest(
  provider: { readonly id: string },
  operation: ProviderOperation,
  request: Request,
  options: SendOptions = {},
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? PROVIDER_REQUEST_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_PROVIDER_REQUEST_TIMEOUT_MS) {
    throw new TypeError(`"timeoutMs" must be between 1 and ${MAX_PROVIDER_REQUEST_TIMEOUT_MS}`);
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  try {
    // redirect: "manual" so a provider (or an attacker-controlled endpoint) cannot bounce credentials elsewhere.
    return await fetchImpl(request, { signal, redirect: "manual" });
  } catch (error) {
    throw classifyNetworkError(provider, operation, signal.aborted ? (signal.reason ?? error) : error, timeoutMs);
  }
}
