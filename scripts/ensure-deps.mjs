#!/usr/bin/env node
// Installs what a fresh clone is missing before `npm start`, `npm test` or `npm run stack`: the npm packages
// and, as root, the Debian packages of the local stack. Plain JavaScript: it runs before anything is installed.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quiet = process.argv.includes("--quiet");
const say = (m) => { if (!quiet) console.error(m); };

const DEBIAN = [
  ["postgresql-15", "/usr/lib/postgresql/15/bin/postgres"],
  ["postgresql-15-cron", "/usr/lib/postgresql/15/lib/pg_cron.so"],
  ["postgresql-15-pgtap", "/usr/share/postgresql/15/extension/pgtap.control"],
  ["libtap-parser-sourcehandler-pgtap-perl", "/usr/bin/pg_prove"],
  // The browser test (tests/integration/connect-browser.test.ts) drives Debian's chromium.
  ["chromium", "/usr/bin/chromium"],
];

const missing = DEBIAN.filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
if (missing.length > 0) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `The local stack needs these Debian packages: ${missing.join(" ")}\n` +
        `Install them with:  sudo apt-get install -y ${missing.join(" ")}\n` +
        `or, with Docker, use the Supabase CLI stack instead:  npx supabase start`,
    );
    process.exit(1);
  }
  say(`installing Debian packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: ["ignore", "ignore", "inherit"], env });
}

const marker = join(root, "node_modules", ".package-lock.json");
const lock = join(root, "package-lock.json");
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  say("installing npm packages");
  // npm ci installs exactly the committed lock and never rewrites it. The lock lists every platform's
  // optional binaries (Deno's, the Supabase CLI's), so it installs on any machine; if it is out of step with
  // package.json, that is a change to make on purpose (`npm install`), not something to paper over here.
  const r = spawnSync("npm", [existsSync(lock) ? "ci" : "install", "--no-fund", "--no-audit"], {
    cwd: root, stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0 && existsSync(lock)) {
    console.error("npm ci refused package-lock.json: run `npm install` to bring the lock in step with package.json, and commit it");
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}
