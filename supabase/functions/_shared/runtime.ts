// Deno-side wiring shared by the functions: the platform environment, logger, authenticator and database
// client, created once per process. Everything else comes from packages/shared, which is runtime-agnostic.
import { createAuthenticator } from "../../../packages/shared/src/http/authenticate.ts";
import { createLogger, type Logger } from "../../../packages/shared/src/log/logger.ts";
import { createSql, type Sql } from "../../../packages/shared/src/db/create-sql.ts";
import { keyRingFromEnv, type KeyRing } from "../../../packages/shared/src/crypto/key-ring.ts";

export const env: Record<string, string> = Deno.env.toObject();

export interface Runtime {
  env: Record<string, string>;
  logger: Logger;
  authenticate: ReturnType<typeof createAuthenticator>;
  sql: () => Sql;
  /** The token key ring (TOKEN_ENCRYPTION_KEYS), parsed once. */
  keyRing: () => Promise<KeyRing>;
}

export function createRuntime(fn: string): Runtime {
  let sql: Sql | null = null;
  let ring: Promise<KeyRing> | null = null;
  return {
    env,
    logger: createLogger(fn),
    authenticate: createAuthenticator(env),
    sql: () => (sql ??= createSql(env, `provider-tokens/${fn}`)),
    keyRing: () => (ring ??= keyRingFromEnv(env)),
  };
}
