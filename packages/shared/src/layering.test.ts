import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Which folder of packages/shared/src may import which: imports go one way, down this table (README,
 * "Architecture"). A folder not listed here fails the test until it is given its place.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  // One file per function: parse the request, call the layer below, shape the answer.
  routes: ["admin", "alerts", "connect", "ops", "http", "engine", "oauth", "providers", "crypto", "db", "log"],
  admin: ["http", "engine", "providers", "crypto", "db", "log"],
  connect: ["http", "oauth", "providers", "crypto", "db", "log"],
  ops: ["connect", "engine", "providers", "crypto", "db", "log"],
  alerts: ["crypto", "db", "log"],
  // The handler shell; it imports the engine only for EngineError, to map it to its HTTP status.
  http: ["engine", "crypto", "log"],
  engine: ["oauth", "providers", "crypto", "db", "log"],
  oauth: ["providers"],
  providers: [],
  db: ["crypto"],
  crypto: [],
  log: [],
  // The published browser/server client: talks to the functions over HTTP only.
  client: [],
};

const SRC = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(SRC, "../../..");
const FUNCTIONS = join(ROOT, "supabase", "functions");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
export function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|[\s;}])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*\(?\s*["']([^"']+)["']/g)) {
    found.push((m[1] ?? m[2])!);
  }
  return found;
}

/** The folder of packages/shared/src a path is in, "functions" for supabase/functions, or null elsewhere. */
function layerOf(path: string): string | null {
  if (!relative(FUNCTIONS, path).startsWith("..")) return "functions";
  const rel = relative(SRC, path);
  if (rel.startsWith("..")) return null;
  const [head, ...rest] = rel.split("/");
  return rest.length === 0 ? "" : head!;
}

/** Every import of one file against the table, as "from -> to" (paths relative to packages/shared/src). */
function violationsOf(file: string, source: string): string[] {
  const from = layerOf(file)!;
  const out: string[] = [];
  for (const spec of specifiersOf(source)) {
    if (!spec.startsWith(".") && !spec.startsWith("@shared/")) continue;
    const target = spec.startsWith("@shared/") ? join(SRC, spec.slice("@shared/".length)) : resolve(dirname(file), spec);
    const to = layerOf(target);
    const edge = `${relative(SRC, file)} -> ${relative(SRC, target)}`;
    if (to === null) out.push(`${edge} (outside packages/shared/src)`);
    else if (to === "functions" && from !== "functions") out.push(`${edge} (packages/shared never imports a function)`);
    else if (from === "functions") {
      if (spec.startsWith("../../../")) out.push(`${edge} (functions import packages/shared through "@shared/")`);
    } else if (to !== from && !(MAY_IMPORT[from] ?? []).includes(to)) {
      out.push(`${edge} (${from} may import ${MAY_IMPORT[from]?.join(", ") || "nothing"})`);
    }
  }
  return out;
}

describe("imports go one way", () => {
  it("every folder of packages/shared/src has its place in the table", () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => !(f in MAY_IMPORT))).toEqual([]);
  });

  it("no file imports against the direction, and the functions reach packages/shared only through @shared/", () => {
    // This file's own samples of bad imports are not imports.
    const files = [...tsFiles(SRC), ...tsFiles(FUNCTIONS)].filter((f) => f !== fileURLToPath(import.meta.url));
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((f) => violationsOf(f, readFileSync(f, "utf8")))).toEqual([]);
  });

  it("the table is a one-way order: no folder reaches itself through others", () => {
    const reaches = (from: string, seen = new Set<string>()): Set<string> => {
      for (const to of MAY_IMPORT[from] ?? []) if (!seen.has(to)) reaches(to, seen.add(to));
      return seen;
    };
    expect(Object.keys(MAY_IMPORT).filter((f) => reaches(f).has(f))).toEqual([]);
  });

  it("catches an import against the direction (engine → http, providers → oauth, anything → functions)", () => {
    const at = (path: string) => join(SRC, path);
    expect(violationsOf(at("engine/x.ts"), 'import { ApiError } from "../http/api-error.ts";')).toEqual([
      "engine/x.ts -> http/api-error.ts (engine may import oauth, providers, crypto, db, log)",
    ]);
    expect(violationsOf(at("providers/x.ts"), 'import type { TokenSet } from "../oauth/token-set.ts";')).toHaveLength(1);
    expect(violationsOf(at("connect/x.ts"), 'export { keepAliveAt } from "../engine/keepalive.ts";')).toHaveLength(1);
    expect(violationsOf(at("log/x.ts"), 'const m = await import("../crypto/aad.ts");')).toHaveLength(1);
    expect(violationsOf(at("routes/x.ts"), 'import { createRuntime } from "../../../../supabase/functions/_shared/runtime.ts";'))
      .toEqual(["routes/x.ts -> ../../../supabase/functions/_shared/runtime.ts (packages/shared never imports a function)"]);
    expect(violationsOf(join(FUNCTIONS, "f/index.ts"), 'import { json } from "../../../packages/shared/src/http/with-handler.ts";'))
      .toHaveLength(1);
    expect(violationsOf(at("engine/x.ts"), 'import {\n  a,\n  b,\n} from "../db/create-sql.ts";\nimport "jose";')).toEqual([]);
  });
});
