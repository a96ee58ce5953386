import { ApiError } from "../http/api-error.ts";
import { optionalString, rejectUnknownFields, requiredString } from "../http/fields.ts";
import { MAX_REDIRECT_TO_LENGTH } from "./redirect-allow-list.ts";

/**
 * The body of `POST /functions/v1/oauth-start` after shape checks (README.md): values are not yet checked
 * against the provider catalog, the environment or the redirect allow-list.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 */
export interface StartRequest {
  readonly provider: string;
  readonly redirectTo: string;
  /** Replaces the catalog's default scopes; the scopes that yield a refresh token are always added. */
  readonly scopes: readonly string[] | undefined;
  /** Shopify store, `<store>` or `<store>.myshopify.com`. */
  readonly shop: string | undefined;
  /** The account the user means to connect; the callback refuses another one. */
  readonly account: string | undefined;
}

/** At most this many scopes per request. */
export const MAX_SCOPES = 50;

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). Commas are refused as well: Shopify and
// GitHub separate scopes with them.
const SCOPE_TOKEN = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{1,256}$/;

/**
 * Reads and shape-checks an oauth-start body. Unknown members are refused, so a misspelt `redirectTo` fails
 * loudly instead of being ignored.
 *
 * @throws ApiError `invalid_request` naming the field.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function parseStartRequest(body: Record<string, unknown>): StartRequest {
  rejectUnknownFields(body, ["provider", "redirect_to", "scopes", "shop", "account"]);
  const provider = requiredString(body, "provider", 64);
  const redirectTo = requiredString(body, "redirect_to", MAX_REDIRECT_TO_LENGTH);
  let scopes: string[] | undefined;
  const raw = body["scopes"];
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw)) throw new ApiError("invalid_request", '"scopes" must be an array of strings');
    if (raw.length > MAX_SCOPES) throw new ApiError("invalid_request", `"scopes" must have at most ${MAX_SCOPES} entries`);
    scopes = raw.map((scope, i) => {
      if (typeof scope !== "string") throw new ApiError("invalid_request", `"scopes[${i}]" must be a string`);
      if (!SCOPE_TOKEN.test(scope)) {
        throw new ApiError("invalid_request", `"scopes[${i}]" must be 1 to 256 printable characters without spaces, commas, quotes or backslashes`);
      }
      return scope;
    });
    scopes = [...new Set(scopes)];
  }
  const shop = optionalString(body, "shop", 255);
  const account = optionalString(body, "account", 255);
  if (account === "") throw new ApiError("invalid_request", '"account" must not be empty');
  return { provider, redirectTo, scopes, shop: shop === "" ? undefined : shop, account };
}
