import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { CONFIG_TOML } from "./paths.ts";

describe("supabase/config.toml", () => {
  // The engine's functions live in provider_tokens because the API does not serve that schema.
  it("the API serves no engine schema: provider_tokens is neither exposed nor on its search path", () => {
    const api = (parse(readFileSync(CONFIG_TOML, "utf8")) as { api: { schemas: string[]; extra_search_path: string[] } }).api;
    expect(api.schemas).not.toContain("provider_tokens");
    expect(api.extra_search_path).not.toContain("provider_tokens");
  });
});
