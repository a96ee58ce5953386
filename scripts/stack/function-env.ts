/**
 * Which variables of the environment `stack up` runs in reach the functions, and in what order the sources
 * win. Lowest first: the stack's own values (URLs, API keys, the generated key ring in `.stack/keys`), then
 * supabase/functions/.env, then `--env-file`, then the variables set where `stack up` was started (a
 * variable you export is the one the functions get, as with dotenv). The stack's own connection values
 * (`SUPABASE_*`, `JWT_SECRET`) stay the stack's: they describe this stack, not a project of yours.
 */

/** Names the functions read: exact names, prefixes, and the provider variables `<ID>_CLIENT_ID` and so on. */
const EXACT = new Set(["TOKEN_ENCRYPTION_KEYS", "ALLOWED_REDIRECT_URLS", "OAUTH_CALLBACK_URL", "DB_POOLER_URL", "DB_POOL_SIZE", "STACK_WORKERS"]);
const PREFIXES = ["REFRESH_", "WEBHOOK_", "PROVIDER_TOKENS_", "TOKEN_", "ALERT_"];
const PROVIDER_SUFFIX = /^[A-Z][A-Z0-9_]*_(CLIENT_ID|CLIENT_SECRET|AUTHORIZE_URL|TOKEN_URL|REVOKE_URL|API_URL)$/;
const STACK_OWNED = /^(SUPABASE_|JWT_SECRET$)/;

/** Whether a variable of the calling environment is one the functions get (and a change restarts them). */
export function isFunctionVariable(name: string): boolean {
  if (STACK_OWNED.test(name)) return false;
  return EXACT.has(name) || PREFIXES.some((p) => name.startsWith(p)) || PROVIDER_SUFFIX.test(name);
}

/** The function variables of an environment, sorted by name (stable for fingerprinting). */
export function functionVariables(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value !== undefined && isFunctionVariable(name)) out[name] = value;
  }
  return out;
}
