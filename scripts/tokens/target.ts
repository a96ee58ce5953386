/**
 * Which project the operator CLI talks to: the local stack (`npm run stack -- status -o env`), or a hosted
 * project given by `--db-url` / `--api-url` with its keys in the environment.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { parseKeyRing, type KeyRing } from "../../packages/shared/src/crypto/key-ring.ts";
import { readFunctionsDotEnv } from "../stack/config.ts";
import { functionVariables } from "../stack/function-env.ts";
import { loadKeys, signUserToken } from "../stack/keys.ts";
import { API_URL, DB_URL, RUN_DIR } from "../stack/paths.ts";

export interface TargetOptions {
  dbUrl?: string;
  apiUrl?: string;
}

export interface Target {
  /** `local` for this checkout's stack, `hosted` when --db-url or --api-url was given. */
  kind: "local" | "hosted";
  dbUrl: string;
  apiUrl: string;
  serviceRoleKey: string | undefined;
  anonKey: string | undefined;
  /** What the functions read: key ring, provider credentials and endpoints. */
  env: Record<string, string>;
  ring: () => Promise<KeyRing>;
  sql: () => postgres.Sql;
  /** A user JWT for `userId` (local stack only; a hosted project's come from its auth server). */
  signUserJwt?: (user: { id: string; email: string }) => Promise<string>;
  close: () => Promise<void>;
}

/** An error the CLI prints as one line and exits 1 with. */
export class CliError extends Error {
  override readonly name = "CliError";
}

function defined(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export async function resolveTarget(options: TargetOptions): Promise<Target> {
  let env: Record<string, string>;
  let target: Omit<Target, "ring" | "sql" | "close" | "env">;
  if (options.dbUrl || options.apiUrl) {
    env = defined(process.env);
    const dbUrl = options.dbUrl ?? env.SUPABASE_DB_URL;
    const apiUrl = options.apiUrl ?? env.SUPABASE_URL;
    if (!dbUrl) throw new CliError("--db-url is required for a hosted project (or SUPABASE_DB_URL in the environment)");
    target = { kind: "hosted", dbUrl, apiUrl: apiUrl ?? "", serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY, anonKey: env.SUPABASE_ANON_KEY };
  } else {
    // What the running functions were started with (gateway.ts writes it), under what this shell exports.
    const effective = join(RUN_DIR, "function-env.json");
    const running = existsSync(effective) ? (JSON.parse(readFileSync(effective, "utf8")) as Record<string, string>) : {};
    const keys = await loadKeys();
    env = { TOKEN_ENCRYPTION_KEYS: keys.tokenEncryptionKeys, ...readFunctionsDotEnv(), ...running, ...functionVariables(process.env) };
    target = {
      kind: "local", dbUrl: DB_URL, apiUrl: API_URL, serviceRoleKey: keys.serviceRoleKey, anonKey: keys.anonKey,
      signUserJwt: (user) => signUserToken(keys, user),
    };
  }
  let ring: Promise<KeyRing> | undefined;
  let sql: postgres.Sql | undefined;
  return {
    ...target,
    env,
    ring: () => (ring ??= parseKeyRing(env.TOKEN_ENCRYPTION_KEYS).catch((err: Error) => { throw new CliError(err.message); })),
    sql: () => (sql ??= postgres(target.dbUrl, { max: 16, onnotice: () => {}, connection: { application_name: "provider-tokens/cli" } })),
    close: async () => { await sql?.end({ timeout: 5 }); },
  };
}

/** The id of the user with this email (or id); a clear error when there is none. */
export async function findUser(sql: postgres.Sql, user: string): Promise<{ id: string; email: string }> {
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(user);
  const [row] = isId
    ? await sql<{ id: string; email: string }[]>`select id::text, email from auth.users where id = ${user}`
    : await sql<{ id: string; email: string }[]>`select id::text, email from auth.users where lower(email) = ${user.toLowerCase()}`;
  if (!row) throw new CliError(`no user ${isId ? "with id" : "with email"} ${user}`);
  return row;
}
