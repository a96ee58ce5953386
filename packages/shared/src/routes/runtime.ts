import type { AesGcm } from "../crypto/aes-gcm.ts";
import { keyRingFromEnv, type KeyRing } from "../crypto/key-ring.ts";
import { createSql, type Sql } from "../db/create-sql.ts";
import { createAuthenticator, type Authenticate } from "../http/authenticate.ts";
import { batchedSink } from "../log/batched-sink.ts";
import { createLogger, type Logger } from "../log/logger.ts";

/** What the host runtime offers beyond Web APIs (Supabase's edge runtime, plain Deno, a test). */
export interface HostHooks {
  /** Keeps the instance alive until `work` settles after the response (`EdgeRuntime.waitUntil`). */
  waitUntil?: (work: Promise<unknown>) => void;
  /** CPU time of the whole process in ms, where the runtime can tell. */
  cpuClock?: () => number;
  /** A faster AES-256-GCM than WebCrypto's, where the runtime has one (crypto/aes-gcm.ts). */
  aesGcm?: AesGcm;
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
  /** Writes the log lines still waiting for the end of this turn (log/batched-sink.ts). */
  flushLogs: () => void;
}

export function createRuntime(fn: string, env: Record<string, string>, host: HostHooks = {}): Runtime {
  let sql: Sql | null = null;
  let ring: Promise<KeyRing> | null = null;
  const sink = batchedSink((text) => console.log(text));
  return {
    env,
    logger: createLogger(fn, sink),
    flushLogs: sink.flush,
    authenticate: createAuthenticator(env),
    sql: () => (sql ??= createSql(env, `provider-tokens/${fn}`)),
    keyRing: () => (ring ??= keyRingFromEnv(env, host.aesGcm)),
    ...host,
  };
}
