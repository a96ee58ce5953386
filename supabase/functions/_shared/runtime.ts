// Deno-side wiring shared by the functions: the platform environment, logger, authenticator and database
// client, created once per process. Everything else comes from packages/shared, which is runtime-agnostic.
import { createAuthenticator } from "../../../packages/shared/src/http/authenticate.ts";
import { createLogger, type Logger } from "../../../packages/shared/src/http/logger.ts";
import { batchedSink } from "../../../packages/shared/src/http/batched-sink.ts";
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
  /** Writes the log lines still waiting for the end of this turn (batched-sink.ts). */
  flushLogs: () => void;
}

export function createRuntime(fn: string): Runtime {
  let sql: Sql | null = null;
  let ring: Promise<KeyRing> | null = null;
  const sink = batchedSink((text) => console.log(text));
  return {
    env,
    logger: createLogger(fn, sink),
    flushLogs: sink.flush,
    authenticate: createAuthenticator(env),
    sql: () => (sql ??= createSql(env, `provider-tokens/${fn}`)),
    keyRing: () => (ring ??= keyRingFromEnv(env)),
  };
}
