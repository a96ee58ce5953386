import type { KeyRing } from "../crypto/key-ring.ts";
import type { Sql } from "../db/create-sql.ts";
import type { Logger } from "../log/logger.ts";
import type { FetchLike } from "../oauth/send-provider-request.ts";
import type { ProviderEnv } from "../providers/resolve-provider.ts";
import { parseErrorPageUrl } from "./callback-response.ts";
import { oauthCallbackUrl } from "./callback-url.ts";
import { parseAllowedRedirects, type AllowedRedirect } from "./redirect-allow-list.ts";

/**
 * Configuration of the connect flow, read once per function instance.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.11
 */
export interface ConnectConfig {
  /** `ALLOWED_REDIRECT_URLS`, parsed. */
  readonly allowedRedirects: readonly AllowedRedirect[];
  /** The provider-facing `redirect_uri`, or the configuration problem that prevents one. */
  readonly callbackUrl: string | TypeError;
  /** `OAUTH_ERROR_URL`: where a browser goes when the callback has no trusted `redirect_to` (else a text page). */
  readonly errorPageUrl?: string | undefined;
}

/**
 * What the connect functions run on: environment, database, key ring, logger, and the fetch used for provider
 * calls (the global one unless a test injects another).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 */
export interface ConnectDeps {
  readonly env: ProviderEnv;
  readonly sql: Sql;
  readonly keyRing: () => Promise<KeyRing>;
  readonly logger: Logger;
  readonly config: ConnectConfig;
  readonly fetch?: FetchLike | undefined;
}

/**
 * Reads {@link ConnectConfig} from the environment; logs (without values) how many `ALLOWED_REDIRECT_URLS`
 * entries were skipped as malformed.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2
 */
export function connectConfig(env: ProviderEnv, logger?: Logger): ConnectConfig {
  const { allowed, invalid } = parseAllowedRedirects(env["ALLOWED_REDIRECT_URLS"]);
  if (invalid > 0) logger?.warn("allowed_redirect_urls_invalid", { skipped_entries: invalid });
  let callbackUrl: string | TypeError;
  try {
    callbackUrl = oauthCallbackUrl(env);
  } catch (error) {
    callbackUrl = error as TypeError;
  }
  const errorPage = parseErrorPageUrl(env["OAUTH_ERROR_URL"]);
  if (errorPage.invalid) logger?.warn("oauth_error_url_invalid", {});
  return { allowedRedirects: allowed, callbackUrl, errorPageUrl: errorPage.url };
}

/**
 * The configured callback URL.
 *
 * @throws TypeError when it is not configured (the function answers a fixed 500; the log names the variable).
 */
export function callbackUrlOf(config: ConnectConfig): string {
  if (config.callbackUrl instanceof TypeError) throw config.callbackUrl;
  return config.callbackUrl;
}
