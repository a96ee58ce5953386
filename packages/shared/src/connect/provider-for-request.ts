import { ApiError } from "../http/api-error.ts";
import { ProviderConfigError } from "../providers/provider-config-error.ts";
import { resolveProvider, type ProviderEnv, type ResolvedProvider } from "../providers/resolve-provider.ts";

/**
 * Resolves a provider named in a request body, turning configuration errors into the contract's answers:
 * `unknown_provider` (400) and `provider_not_configured` (400, naming the missing variables, never values).
 *
 * @throws ApiError.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 */
export function providerForRequest(id: string, env: ProviderEnv): ResolvedProvider {
  try {
    return resolveProvider(id, env);
  } catch (error) {
    if (error instanceof ProviderConfigError && (error.code === "unknown_provider" || error.code === "provider_not_configured")) {
      throw new ApiError(error.code, error.message);
    }
    throw error;
  }
}
