/**
 * The OAuth token client: pure request builders and response parsers per operation, thin async wrappers with
 * an injected fetch and a timeout, and classified errors.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749
 */
export { buildIdentityRequest, parseIdentityResponse } from "./account-identity.ts";
export { buildApiCallRequest } from "./api-call-request.ts";
export { parseAuthorizationCallback, type AuthorizationCallback } from "./authorization-callback.ts";
export {
  buildAuthorizationUrl,
  createAuthorizationRequest,
  requestedScopes,
  type AuthorizationRequest,
  type AuthorizationUrlInput,
} from "./authorization-url.ts";
export { backoffDelay, DEFAULT_BACKOFF } from "./backoff-delay.ts";
export { CALLBACK_ERROR_CODES, CallbackError, type CallbackErrorCode } from "./callback-error.ts";
export {
  classifyHttpFailure,
  classifyNetworkError,
  classifyProviderFailure,
  DEFAULT_RATE_LIMIT_DELAY_MS,
  type ClassifyOptions,
  type HttpFailure,
} from "./classify-provider-failure.ts";
export { applyClientAuthentication, basicAuthorization, type ClientAuthMethod } from "./client-authentication.ts";
export { buildCodeExchangeRequest, parseCodeExchangeResponse, type CodeExchangeInput } from "./code-exchange.ts";
export {
  isProviderError,
  PROVIDER_ERROR_CODES,
  ProviderError,
  type ProviderErrorCode,
  type ProviderErrorDetails,
  type ProviderOperation,
} from "./provider-error.ts";
export { MAX_DESCRIPTION_LENGTH, REDACTED, redactSecrets } from "./redact.ts";
export { buildRefreshRequest, parseRefreshResponse, type ConnectionContext, type RefreshedTokenSet } from "./refresh-grant.ts";
export { parseResponseText, readResponseBody, type ResponseBody } from "./response-body.ts";
export { MAX_RETRY_AFTER_MS, parseRetryAfter, retryAfterSecondsToMs } from "./retry-after.ts";
export {
  buildRevocationRequest,
  parseRevocationResponse,
  type RevocationResult,
  type RevocationTokens,
} from "./revocation.ts";
export {
  MAX_PROVIDER_REQUEST_TIMEOUT_MS,
  PROVIDER_REQUEST_TIMEOUT_MS,
  sendProviderRequest,
  type FetchLike,
  type SendOptions,
} from "./send-provider-request.ts";
export {
  exchangeCode,
  refreshTokens,
  resolveAccountId,
  revokeTokens,
  validateAccessToken,
  type ClientCallOptions,
} from "./token-client.ts";
export { buildTokenEndpointRequest } from "./token-endpoint-request.ts";
export { parseTokenEndpointResponse, type TokenResponseOptions } from "./token-response.ts";
export { ASSUMED_ACCESS_TOKEN_LIFETIME_SECONDS, secondsField, tokenSetFromFields, type TokenSet, type TokenSetContext } from "./token-set.ts";
export { buildValidationRequest, parseValidationResponse, type ValidationResult } from "./validation.ts";
