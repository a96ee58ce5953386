/**
 * The browser client: connect accounts, read tokens and connections, disconnect, over a supabase-js client.
 * Web APIs and supabase-js types only; bundle it with the app.
 */
export {
  createProviderTokensClient, withoutResultParams,
  type BrowserLocation, type CompletedConnection, type ConnectionSummary, type ConnectionSummaryStatus, type ProviderToken, type ProviderTokensClient, type StartOptions,
} from "./provider-tokens-client.ts";
export {
  errorCodeOf, PROVIDER_TOKENS_ERROR_CODES, ProviderTokensError, type ErrorRemedy, type ProviderTokensErrorCode,
} from "./provider-tokens-error.ts";
