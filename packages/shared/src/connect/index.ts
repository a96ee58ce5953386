/**
 * Connecting and disconnecting accounts: oauth-start, oauth-callback (parks the grant), oauth-complete (claims
 * it for the user who started) and disconnect, as functions of their
 * dependencies (database, key ring, environment), plus their pure parts.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc7636
 * @see https://www.rfc-editor.org/rfc/rfc9700
 */
export { CALLBACK_RESULT_PARAMS, CONNECT_ERROR_CODES, invalidCallbackResponse, redirectResponse, type ConnectErrorCode } from "./callback-response.ts";
export { oauthCallbackUrl } from "./callback-url.ts";
export { claimConnection, type ClaimResult } from "./claim-connection.ts";
export { completeAuthorization } from "./complete-authorization.ts";
export { callbackUrlOf, connectConfig, type ConnectConfig, type ConnectDeps } from "./connect-deps.ts";
export { connectionEndpointParams, connectionMetadata } from "./connection-metadata.ts";
export { connectionTiming } from "./connection-timing.ts";
export {
  DISCONNECT_LEASE_SECONDS,
  DISCONNECT_LEASE_WAIT_MS,
  disconnectConnection,
  type RevocationOutcome,
} from "./disconnect-connection.ts";
export { isWellFormedState, OAUTH_STATES_TABLE, STATE_TTL_SECONDS, stateHashHex } from "./oauth-state.ts";
export { parkGrant, type GrantToPark } from "./park-grant.ts";
export {
  CONNECT_ID_BYTES, connectIdHashHex, connectIdRef, isWellFormedConnectId, newConnectId, openGrant, PARKED_GRANT_TTL_SECONDS,
  PARKED_GRANTS_TABLE, sealGrant,
} from "./parked-grant.ts";
export { revokeParkedGrant, type GrantRevocation, type ParkedGrantRow } from "./revoke-parked-grant.ts";
export { providerForRequest } from "./provider-for-request.ts";
export { checkRedirectTo, MAX_REDIRECT_TO_LENGTH, parseAllowedRedirects, type AllowedRedirect } from "./redirect-allow-list.ts";
export { saveConnection, type NewConnection } from "./save-connection.ts";
export { sweepExpiredGrants, SWEEP_BATCH, type SweepSummary } from "./sweep-parked-grants.ts";
export { MAX_PENDING_STATES_PER_USER, startAuthorization, type StartResult } from "./start-authorization.ts";
export { MAX_SCOPES, parseStartRequest, type StartRequest } from "./start-request.ts";
