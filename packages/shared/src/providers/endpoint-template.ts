import { ProviderConfigError } from "./provider-config-error.ts";

/** Placeholders allowed in endpoint templates, e.g. `https://{shop}.myshopify.com/admin/oauth/access_token`. */
export const TEMPLATE_PARAMETERS = ["shop", "tenant", "domain_prefix", "client_id"] as const;

/**
 * A placeholder name of {@link TEMPLATE_PARAMETERS}.
 *
 * @see https://url.spec.whatwg.org/#concept-url-parser
 */
export type TemplateParameter = (typeof TEMPLATE_PARAMETERS)[number];

/**
 * Values substituted into endpoint templates. `client_id` is filled from the provider's credentials.
 */
export type EndpointParams = Partial<Record<TemplateParameter, string>>;

const PLACEHOLDER = /\{([^{}]*)\}/g;

// Values land in a host label or a single path segment. None of these patterns admits '.', '/', ':', '@',
// '?', '#', '%' or whitespace (client_id admits '.' but cannot be '.' or '..'), so a substituted value can
// never change the host, add a port or user info, or climb out of its path segment.
const RULES: Record<TemplateParameter, { pattern: RegExp; expectation: string }> = {
  shop: { pattern: /^[a-z0-9][a-z0-9-]{0,62}$/, expectation: 'must be a "<store>.myshopify.com" domain or its store name' },
  tenant: { pattern: /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, expectation: "must contain only letters, digits and '-'" },
  domain_prefix: { pattern: /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, expectation: "must contain only letters, digits and '-'" },
  client_id: { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, expectation: "must contain only letters, digits, '.', '_' and '-'" },
};

/**
 * Lists the placeholders of a template.
 *
 * @throws TypeError when a placeholder is not one of {@link TEMPLATE_PARAMETERS}.
 */
export function templateParameters(template: string): TemplateParameter[] {
  const found: TemplateParameter[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] as string;
    if (!(TEMPLATE_PARAMETERS as readonly string[]).includes(name)) {
      throw new TypeError(`endpoint template has an unknown placeholder "{${name}}"`);
    }
    if (!found.includes(name as TemplateParameter)) found.push(name as TemplateParameter);
  }
  return found;
}

/**
 * Reduces a Shopify shop input (`my-store`, `my-store.myshopify.com`, any letter case) to its store name, the
 * label substituted for `{shop}`.
 *
 * @throws ProviderConfigError `invalid_endpoint_parameter` for anything else (other domains, paths, ports).
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
 */
export function normalizeShopDomain(input: string): string {
  const lowered = typeof input === "string" ? input.trim().toLowerCase() : "";
  const label = lowered.endsWith(".myshopify.com") ? lowered.slice(0, -".myshopify.com".length) : lowered;
  if (!RULES.shop.pattern.test(label)) {
    throw new ProviderConfigError("invalid_endpoint_parameter", `"shop" ${RULES.shop.expectation}`);
  }
  return label;
}

/**
 * Substitutes validated values into an endpoint template and returns the URL. Every placeholder must have a
 * value; each value must match its parameter's pattern (Shopify shops are normalised first).
 *
 * @param template - Endpoint template from the catalog or an `<ID>_*_URL` override.
 * @param params - Values for the placeholders.
 * @param label - What the URL is, for messages (e.g. `shopify token URL`).
 * @throws ProviderConfigError `invalid_endpoint_parameter` for a missing or malformed value.
 * @throws TypeError for a template that is not an http(s) URL once expanded.
 */
export function expandEndpoint(template: string, params: EndpointParams, label = "endpoint"): URL {
  const expanded = template.replace(PLACEHOLDER, (_whole, rawName: string) => {
    if (!(TEMPLATE_PARAMETERS as readonly string[]).includes(rawName)) {
      throw new TypeError(`${label} template has an unknown placeholder "{${rawName}}"`);
    }
    const name = rawName as TemplateParameter;
    const value = params[name];
    if (value === undefined || value === "") {
      throw new ProviderConfigError("invalid_endpoint_parameter", `"${name}" is required to build the ${label}`);
    }
    const normalized = name === "shop" ? normalizeShopDomain(value) : value;
    if (!RULES[name].pattern.test(normalized)) {
      throw new ProviderConfigError("invalid_endpoint_parameter", `"${name}" ${RULES[name].expectation}`);
    }
    return normalized;
  });
  let url: URL;
  try {
    url = new URL(expanded);
  } catch {
    throw new TypeError(`${label} is not a valid URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError(`${label} must be an http(s) URL`);
  return url;
}
