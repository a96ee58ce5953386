import { keyRingFromEnv, type KeyRing } from "../crypto/key-ring.ts";
import { createSql, type Sql } from "../db/create-sql.ts";
import { createAuthenticator, type Authenticate } from "../http/authenticate.ts";
import { createLogger, type Logger } from "../log/logger.ts";

/** What the host runtime offers beyond Web APIs (Supabase's edge runtime, plain Deno, a test). */
export interface HostHooks {
  /** Keeps the instance alive until `work` settles after the response (`EdgeRuntime.waitUntil`). */
  waitUntil?: (work: Promise<unknown>) => void;
  /** CPU time of the whole process in ms, where the runtime can tell. */
  cpuClock?: () => number;
}

/** One function's process-wide wiring: environment, logger, authenticator, database client, key ring. */
export interface Runtime extends HostHooks {
  env: Record<string, string>;
  logger: Logger;
  authenticate: Authenticate;
  /** The database client, created on first use. */
  sql: () => Sql;
  /** The token key ring (TOKEN_ENCRYPTION_KEYS), parsed once. */
  keyRing: () => Promise<KeyRing>;
}

export function createRuntime(fn: string, env: Record<string, string>, host: HostHooks = {}): Runtime {
  let sql: Sql | null = null;
  let ring: Promise<KeyRing> | null = null;
  return {
    env,
    logger: createLogger(fn),
    authenticate: createAuthenticator(env),
    sql: () => (sql ??= createSql(env, `provider-tokens/${fn}`)),
    keyRing: () => (ring ??= keyRingFromEnv(env)),
    ...host,
  };
}
