/**
 * The provider catalog (data), its schema, and configuration resolution from the environment.
 *
 * @see docs/providers.md
 */
export { PROVIDER_CATALOG, RAW_PROVIDER_CATALOG, validateCatalog } from "./catalog.ts";
export {
  expandEndpoint,
  normalizeShopDomain,
  TEMPLATE_PARAMETERS,
  templateParameters,
  type EndpointParams,
  type TemplateParameter,
} from "./endpoint-template.ts";
export { PROVIDER_CONFIG_ERROR_CODES, ProviderConfigError, type ProviderConfigErrorCode } from "./provider-config-error.ts";
export {
  providerDefinitionSchema,
  type ProviderApiCall,
  type ProviderDefinition,
  type ProviderErrorRule,
} from "./provider-definition.ts";
export { providerApiUrl, providerEndpointUrl } from "./provider-endpoint.ts";
export { isProviderId, PROVIDER_IDS, type ProviderId } from "./provider-ids.ts";
export {
  configuredProviderIds,
  resolveProvider,
  tryResolveProvider,
  type EndpointKind,
  type ProviderEndpoints,
  type ProviderEnv,
  type ResolvedProvider,
} from "./resolve-provider.ts";
export { SchemaError, type Infer, type Schema } from "./schema-kit.ts";
export { verifyShopifyHmac } from "./shopify-hmac.ts";
