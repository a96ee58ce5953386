/**
 * Reads supabase/config.toml the way the CLI does for what the stack needs: the functions, their
 * `verify_jwt` (true unless set false, the CLI's default) and their import map.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { parse } from "smol-toml";
import { parseEnvFile } from "./env-file.ts";
import { CONFIG_TOML, FUNCTIONS_DIR, SUPABASE_DIR } from "./paths.ts";

export interface FunctionSpec {
  name: string;
  entrypoint: string;
  verifyJwt: boolean;
  /** The import map the CLI uploads with this function (absolute path), or null when it has none. */
  importMap: string | null;
  workers: number;
}

/**
 * The CLI's precedence (its functions deploy code): `[functions.<name>] import_map` in config.toml, relative to
 * supabase/; else a deno.json, deno.jsonc or import_map.json in the function's folder; else
 * supabase/functions/import_map.json. Never supabase/functions/deno.json unless config.toml names it.
 */
function importMapFor(name: string, configured: string | undefined): string | null {
  if (configured) return isAbsolute(configured) ? configured : join(SUPABASE_DIR, configured);
  for (const file of ["deno.json", "deno.jsonc", "import_map.json"]) {
    if (existsSync(join(FUNCTIONS_DIR, name, file))) return join(FUNCTIONS_DIR, name, file);
  }
  const fallback = join(FUNCTIONS_DIR, "import_map.json");
  return existsSync(fallback) ? fallback : null;
}

/** `STACK_WORKERS=get-token=3,connections=1` sets how many Deno processes serve a function. */
function workerCounts(): Map<string, number> {
  const counts = new Map<string, number>([["get-token", 2]]);
  for (const part of (process.env.STACK_WORKERS ?? "").split(",").filter(Boolean)) {
    const [name, n] = part.split("=");
    const value = Number(n);
    if (name && Number.isInteger(value) && value >= 1 && value <= 16) counts.set(name.trim(), value);
  }
  return counts;
}

export function readFunctions(): FunctionSpec[] {
  const config = existsSync(CONFIG_TOML) ? (parse(readFileSync(CONFIG_TOML, "utf8")) as Record<string, unknown>) : {};
  const fnConfig = (config.functions ?? {}) as Record<string, { verify_jwt?: boolean; enabled?: boolean; import_map?: string }>;
  const counts = workerCounts();
  return readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_") && !d.name.startsWith("."))
    .filter((d) => existsSync(join(FUNCTIONS_DIR, d.name, "index.ts")))
    .filter((d) => fnConfig[d.name]?.enabled !== false)
    .map((d) => ({
      name: d.name,
      entrypoint: join(FUNCTIONS_DIR, d.name, "index.ts"),
      verifyJwt: fnConfig[d.name]?.verify_jwt ?? true,
      importMap: importMapFor(d.name, fnConfig[d.name]?.import_map),
      workers: counts.get(d.name) ?? 1,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Parses supabase/functions/.env (dotenv syntax) if it exists. */
export function readFunctionsDotEnv(): Record<string, string> {
  const file = join(FUNCTIONS_DIR, ".env");
  return existsSync(file) ? parseEnvFile(file) : {};
}
