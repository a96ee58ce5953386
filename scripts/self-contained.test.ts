/**
 * The repository explains itself: no file points to a document it does not hold (a design note kept beside
 * the checkout, not in it) or to a path of a development machine.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SELF = "scripts/self-contained.test.ts";
const TEXT = /\.(ts|mjs|js|json|md|sql|toml|sh|yml|yaml|html|css|example)$|(^|\/)(run|\.gitignore)$/;

/** What must not appear: a contract or providers document outside docs/, a parent's shared folder, a home or temp path. */
const FORBIDDEN: [string, RegExp][] = [
  ["a document the repository does not hold", /(?<![\w/-])(contract|providers)\.md\b/],
  ["a folder beside the checkout", /\.\.\/shared\//],
  ["a path of a development machine", /["'`( ]\/(root|home|tmp|work)\//],
];

it("no tracked file points outside the repository", () => {
  const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter((f) => f && f !== SELF && TEXT.test(f));
  expect(files.length).toBeGreaterThan(100);
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      for (const [what, pattern] of FORBIDDEN) {
        // docs/providers.md is the repository's own.
        if (pattern.test(line.replaceAll("docs/providers.md", ""))) found.push(`${file}:${i + 1}: ${what}`);
      }
    });
  }
  expect(found).toEqual([]);
});
