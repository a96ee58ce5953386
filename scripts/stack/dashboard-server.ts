/**
 * The dashboard (dashboard/): built with esbuild into static files and served on http://127.0.0.1:54323 by
 * the stack's gateway process, with a config.json pointing the page at the stack's API. `tsx
 * scripts/stack/dashboard-server.ts build [dir]` (npm run dashboard:build) writes the same files for any
 * static host (the operator adds config.json there, or enters the settings on the page).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { HOST, ROOT, STACK_DIR } from "./paths.ts";

export const DASHBOARD_PORT = 54323;
export const DASHBOARD_URL = `http://${HOST}:${DASHBOARD_PORT}`;
const SOURCE = join(ROOT, "dashboard");

/** Bundles dashboard/ into `outDir`: index.html, app.js, app.css (and config.json when given). */
export async function buildDashboard(outDir: string, config?: { apiUrl: string; anonKey: string }): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  // Loaded here, not at the top: the gateway imports this file and should not wait for esbuild to start.
  const { build } = await import("esbuild");
  await build({
    entryPoints: { app: join(SOURCE, "src", "app.js") },
    bundle: true, format: "esm", platform: "browser", target: "es2020", minify: true, outdir: outDir, logLevel: "silent",
    legalComments: "linked",
  });
  await build({
    entryPoints: { app: join(SOURCE, "src", "app.css") },
    bundle: true, minify: true, outdir: outDir, logLevel: "silent",
  });
  copyFileSync(join(SOURCE, "index.html"), join(outDir, "index.html"));
  if (config) writeFileSync(join(outDir, "config.json"), JSON.stringify(config, null, 2));
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8", ".txt": "text/plain; charset=utf-8",
};

/** Builds the dashboard for the stack and serves it; resolves once it listens. */
export async function startDashboardServer(
  config: { apiUrl: string; anonKey: string },
  { port = DASHBOARD_PORT, dir = join(STACK_DIR, "dashboard") }: { port?: number; dir?: string } = {},
): Promise<http.Server> {
  await buildDashboard(dir, config);
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", DASHBOARD_URL).pathname;
    const file = path === "/" ? "index.html" : path.slice(1);
    // Only the files the build wrote: a flat directory, no traversal.
    if (req.method !== "GET" && req.method !== "HEAD") return res.writeHead(405, { allow: "GET, HEAD" }).end();
    if (!/^[a-z0-9.-]{1,64}$/i.test(file) || !TYPES[extname(file)]) return res.writeHead(404).end();
    let body: Buffer;
    try {
      body = readFileSync(join(dir, file));
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)]!,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "content-security-policy": "default-src 'self'; connect-src 'self' http: https:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, HOST, () => ok());
  });
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href && process.argv[2] === "build") {
  const out = resolve(process.argv[3] ?? join(ROOT, "dashboard", "dist"));
  buildDashboard(out).then(() => console.log(`dashboard built into ${out}`), (err) => {
    console.error(err);
    process.exit(1);
  });
}
