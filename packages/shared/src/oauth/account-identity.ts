import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { buildApiCallRequest } from "./api-call-request.ts";
import { classifyHttpFailure, classifyNetworkError } from "./classify-provider-failure.ts";
import { ProviderError } from "./provider-error.ts";
import { readResponseBody, type ResponseBody } from "./response-body.ts";

/**
 * Builds the call that tells which account a token belongs to, for providers whose identity comes from an API
 * call (Spotify /me, Xero /connections, Twitch /validate, ...). Providers whose identity arrives on the
 * callback (QuickBooks `realmId`, Lightspeed `domain_prefix`) or is the Shopify shop do not make this call.
 *
 * @throws TypeError when the provider's identity does not come from an API call.
 * @see https://developer.xero.com/documentation/guides/oauth2/tenants
 */
export function buildIdentityRequest(provider: ResolvedProvider, accessToken: string, context: { readonly endpointParams?: EndpointParams | undefined } = {}): Request {
  const identity = provider.definition.identity;
  if (identity.source !== "api") throw new TypeError(`provider "${provider.id}" takes its account id from the ${identity.source === "callback" ? "callback" : "authorization input"}`);
  return buildApiCallRequest(provider, identity.call, accessToken, context.endpointParams);
}

/**
 * Reads the account id at the catalog's dotted `idField` (e.g. `data.id`, `0.tenantId`); numbers become strings.
 *
 * @throws ProviderError classified for failures; `transient` when the field is missing.
 * @see https://developer.xero.com/documentation/guides/oauth2/tenants
 */
export async function parseIdentityResponse(
  provider: ResolvedProvider,
  response: Response,
  options: { readonly accessToken?: string | undefined; readonly now?: Date | undefined } = {},
): Promise<{ readonly accountId: string }> {
  const identity = provider.definition.identity;
  if (identity.source !== "api") throw new TypeError(`provider "${provider.id}" takes its account id from the ${identity.source}`);
  let body: ResponseBody;
  try {
    body = await readResponseBody(response);
  } catch (error) {
    throw classifyNetworkError(provider, "identity", error);
  }
  if (!response.ok) {
    throw classifyHttpFailure(provider, "identity", { status: response.status, headers: response.headers, body }, { now: options.now, secrets: [options.accessToken] });
  }
  let value: unknown = body.fields;
  for (const key of identity.idField.split(".")) {
    value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  if ((typeof value === "string" && value !== "") || (typeof value === "number" && Number.isFinite(value))) {
    return { accountId: String(value) };
  }
  throw new ProviderError("transient", `${provider.id} identity failed: response has no "${identity.idField}"`, {
    provider: provider.id,
    operation: "identity",
    status: response.status,
  });
}
