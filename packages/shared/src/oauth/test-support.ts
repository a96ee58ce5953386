/**
 * Helpers for this folder's tests only (imported by `*.test.ts`, never by runtime code).
 */
import { PROVIDER_IDS, type ProviderId } from "../providers/provider-ids.ts";
import { resolveProvider, type ResolvedProvider } from "../providers/resolve-provider.ts";

/**
 * Credentials for every provider: `<ID>_CLIENT_ID=<id>-client`, `<ID>_CLIENT_SECRET=<id>-secret-value`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export const TEST_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  PROVIDER_IDS.flatMap((id) => [
    [`${id.toUpperCase()}_CLIENT_ID`, `${id}-client`],
    [`${id.toUpperCase()}_CLIENT_SECRET`, `${id}-secret-value`],
  ]),
);

/**
 * A resolved provider with {@link TEST_ENV} credentials plus `extraEnv`.
 */
export function testProvider(id: ProviderId, extraEnv: Record<string, string> = {}): ResolvedProvider {
  return resolveProvider(id, { ...TEST_ENV, ...extraEnv });
}

/**
 * Expected Basic header, computed from the RFC 7617 definition.
 */
export function basic(id: string, secret: string): string {
  return `Basic ${btoa(`${id}:${secret}`)}`;
}

/**
 * All request headers as a plain object (lower-case names).
 */
export function headersOf(request: Request): Record<string, string> {
  return Object.fromEntries(request.headers);
}

/**
 * Form body entries in order.
 */
export async function formEntries(request: Request): Promise<Array<[string, string]>> {
  return [...new URLSearchParams(await request.clone().text())];
}

/**
 * A JSON response.
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/**
 * A fixed reference time for expiry assertions.
 */
export const NOW = new Date("2026-11-23T12:00:00.000Z");
