import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";

/** Reads a dotenv file, as `supabase functions serve --env-file` does. */
export function parseEnvFile(path: string): Record<string, string> {
  return parseEnv(readFileSync(path, "utf8")) as Record<string, string>;
}
