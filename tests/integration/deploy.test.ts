/**
 * The project as the real Supabase CLI (the version package.json pins) sees it: it parses
 * supabase/config.toml without complaint, and `functions deploy --use-api` uploads, for every function, files
 * and an import map that resolve on their own. The deploy goes to a fake Management API on loopback; what it
 * receives is written to an empty directory and type-checked with `deno check` from there, as the platform
 * would build it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DENO, denoEnv, runCollect } from "../../scripts/check-functions.ts";
import { readFunctions } from "../../scripts/stack/config.ts";
import { ROOT } from "../../scripts/stack/paths.ts";
import { startFakeManagementApi, type FakeManagementApi } from "../helpers/fake-management-api.ts";
import { runSupabaseCli, type CliRun } from "../helpers/supabase-cli.ts";

const PROJECT_REF = "abcdefghijklmnopqrst";
const ACCESS_TOKEN = `sbp_${"0123456789abcdef".repeat(3).slice(0, 40)}`;
const IMPORT_MAP = "supabase/functions/deno.json";
/** Where the import map's "@shared/" alias points: packages/shared/src, uploaded with every function. */
const SHARED_ALIAS_TARGET = "../../packages/shared/src/";

const tmp = mkdtempSync(join(tmpdir(), "deploy-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Lines the CLI prints to warn about the project (deprecated layout, unknown config keys, fallbacks). */
function warnings(run: CliRun): string[] {
  return `${run.stdout}\n${run.stderr}`.split("\n").filter((l) => /warn|deprecat|no longer supported/i.test(l));
}

describe("the Supabase CLI reads supabase/config.toml", () => {
  it("`supabase start` gets as far as Docker: the config parses, with no warning", async () => {
    const run = await runSupabaseCli(["start"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("Cannot connect to the Docker daemon");
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/config\.toml/);
    expect(warnings(run)).toEqual([]);
  });

  it("a config the CLI rejects fails before Docker (so the test above would see it)", async () => {
    const workdir = join(tmp, "bad-config");
    mkdirSync(join(workdir, "supabase"), { recursive: true });
    const config = readFileSync(join(ROOT, "supabase", "config.toml"), "utf8").replace(/^\[local_smtp\]$/m, "[inbucket]");
    writeFileSync(join(workdir, "supabase", "config.toml"), config);
    const run = await runSupabaseCli(["start", "--workdir", workdir]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("[inbucket] in supabase/config.toml is no longer supported");
    expect(run.stderr).not.toContain("Docker");
  });
});

describe("supabase functions deploy --use-api", () => {
  let api: FakeManagementApi;
  let run: CliRun;
  const functions = readFunctions();

  beforeAll(async () => {
    api = await startFakeManagementApi({ projectRef: PROJECT_REF, accessToken: ACCESS_TOKEN });
    const profile = join(tmp, "profile.yaml");
    writeFileSync(profile, [
      "name: fake", `api_url: ${api.url}`, `dashboard_url: ${api.url}/dashboard`, "project_host: supabase.invalid", "",
    ].join("\n"));
    run = await runSupabaseCli(
      ["functions", "deploy", "--use-api", `--remote=${PROJECT_REF}`, "--yes", "--profile", profile],
      { env: { SUPABASE_ACCESS_TOKEN: ACCESS_TOKEN }, timeoutMs: 90_000 },
    );
  }, 120_000);
  afterAll(() => api?.close());

  it("deploys every function, talking only to the endpoints a deploy uses", () => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(api.unexpected).toEqual([]);
    expect(warnings(run)).toEqual([]);
    expect(run.stdout).toContain(`Deployed Functions on project ${PROJECT_REF}`);
    expect(api.deployments.map((d) => d.slug).sort()).toEqual(functions.map((f) => f.name));
    const activated = (api.bulkUpdates.flat() as { slug: string; verify_jwt: boolean }[]);
    expect(activated.map((f) => f.slug).sort()).toEqual(functions.map((f) => f.name));
  });

  it("uploads the shared import map with each function, and verify_jwt from config.toml", () => {
    for (const fn of functions) {
      const d = api.deployments.find((x) => x.slug === fn.name)!;
      expect(d.metadata.entrypoint_path).toBe(`supabase/functions/${fn.name}/index.ts`);
      expect(d.metadata.import_map_path).toBe(IMPORT_MAP);
      expect(d.metadata.verify_jwt).toBe(fn.verifyJwt);
      expect(d.files.has(IMPORT_MAP)).toBe(true);
      expect(d.files.has(d.metadata.entrypoint_path)).toBe(true);
      // The functions are thin: the code is in packages/shared, which must travel with them.
      expect([...d.files.keys()].some((f) => f.startsWith("packages/shared/src/"))).toBe(true);
      for (const [path, content] of d.files) {
        expect(path, "uploads stay inside the project").not.toMatch(/^(\/|\.\.)/);
        expect(content.equals(readFileSync(join(ROOT, path))), `${path} uploaded as it is in the repository`).toBe(true);
      }
    }
  });

  it("the uploaded files and import map alone type-check with deno check, and not without the import map", async () => {
    // Each function's upload in a directory of its own; Deno finds npm packages in a node_modules that sits
    // beside, not above, the uploads: only an `npm:` specifier from the import map reaches it, as on the
    // platform, where a bare "jose" that the import map does not map fails.
    const uploads = join(tmp, "uploads");
    const resolver = join(tmp, "resolver");
    mkdirSync(resolver, { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(resolver, "node_modules"));
    const maps = new Set<string>();
    for (const d of api.deployments) {
      for (const [path, content] of d.files) {
        const target = join(uploads, d.slug, path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
      maps.add(d.files.get(IMPORT_MAP)!.toString("utf8"));
    }
    expect(maps.size, "every function gets the same import map").toBe(1);
    const importMap = JSON.parse([...maps][0]!) as { imports: Record<string, string> };
    for (const target of Object.values(importMap.imports)) {
      // The "@shared/" alias points into the upload itself; everything else is a pinned dependency.
      if (target === SHARED_ALIAS_TARGET) continue;
      expect(target, "Deno dependencies pinned to exact versions").toMatch(/^npm:(@[\w.-]+\/)?[\w.-]+@\d+\.\d+\.\d+(\/.*)?$/);
    }

    const entrypoints = api.deployments.map((d) => join(uploads, d.slug, d.metadata.entrypoint_path));
    const base = ["check", "--node-modules-dir=manual", "--no-lock", "--no-config"];
    const first = api.deployments[0]!;
    const withMap = await runCollect(DENO, [...base, "--import-map", join(uploads, first.slug, IMPORT_MAP), ...entrypoints], { cwd: resolver, env: denoEnv() });
    expect(withMap.code, withMap.output).toBe(0);

    const withoutMap = await runCollect(DENO, [...base, entrypoints[0]!], { cwd: resolver, env: denoEnv() });
    expect(withoutMap.code).not.toBe(0);
    // The functions import packages/shared through the map's "@shared/" alias, so that is what fails first.
    expect(withoutMap.output).toMatch(/Import "(@shared\/[\w/.-]+|jose|postgres|oauth4webapi)" not a dependency/);
  }, 120_000);

  it("without --use-api and without Docker, the CLI falls back to the same upload, import map included", async () => {
    const before = api.deployments.length;
    const single = await runSupabaseCli(
      ["functions", "deploy", "get-token", `--remote=${PROJECT_REF}`, "--yes", "--profile", join(tmp, "profile.yaml")],
      { env: { SUPABASE_ACCESS_TOKEN: ACCESS_TOKEN }, timeoutMs: 90_000 },
    );
    expect(single.code, `${single.stdout}\n${single.stderr}`).toBe(0);
    expect(single.stderr).toContain("Docker is not running");
    expect(api.unexpected).toEqual([]);
    const d = api.deployments.slice(before);
    expect(d.map((x) => [x.slug, x.bundleOnly])).toEqual([["get-token", false]]);
    expect(d[0]!.metadata.import_map_path).toBe(IMPORT_MAP);
    const first = api.deployments.find((x) => x.slug === "get-token")!;
    expect([...d[0]!.files.keys()].sort()).toEqual([...first.files.keys()].sort());
  }, 120_000);

  it("`supabase secrets set --env-file` (the README's recipe) sends every variable of the file", async () => {
    const envFile = join(tmp, "functions.env");
    writeFileSync(envFile, [
      "TOKEN_ENCRYPTION_KEYS=k1:" + "ab".repeat(32),
      "ALLOWED_REDIRECT_URLS=https://app.example.com/settings",
      "SPOTIFY_CLIENT_ID=spotify-client", "SPOTIFY_CLIENT_SECRET=spotify-secret", "",
    ].join("\n"));
    const before = api.requests.length;
    const set = await runSupabaseCli(
      ["secrets", "set", `--remote=${PROJECT_REF}`, "--yes", "--profile", join(tmp, "profile.yaml"), "--env-file", envFile],
      { env: { SUPABASE_ACCESS_TOKEN: ACCESS_TOKEN } },
    );
    expect(set.code, `${set.stdout}\n${set.stderr}`).toBe(0);
    expect(api.unexpected).toEqual([]);
    expect(warnings(set)).toEqual([]);
    expect(api.requests.length).toBeGreaterThan(before);
    const sent = api.secrets.at(-1)!;
    expect(Object.fromEntries(sent.map((s) => [s.name, s.value]))).toEqual({
      TOKEN_ENCRYPTION_KEYS: "k1:" + "ab".repeat(32),
      ALLOWED_REDIRECT_URLS: "https://app.example.com/settings",
      SPOTIFY_CLIENT_ID: "spotify-client",
      SPOTIFY_CLIENT_SECRET: "spotify-secret",
    });
  });

  it("pins the import map to the versions npm installs (the local stack runs them from node_modules)", () => {
    const importMap = JSON.parse(readFileSync(join(ROOT, IMPORT_MAP), "utf8")) as { imports: Record<string, string> };
    for (const [name, target] of Object.entries(importMap.imports)) {
      if (target === SHARED_ALIAS_TARGET) continue;
      const m = /^npm:((?:@[\w.-]+\/)?[\w.-]+)@([\d.]+)$/.exec(target);
      expect(m, target).not.toBeNull();
      const installed = JSON.parse(readFileSync(join(ROOT, "node_modules", m![1]!, "package.json"), "utf8")) as { version: string };
      expect(installed.version, name).toBe(m![2]);
    }
  });
});
