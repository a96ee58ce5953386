/**
 * `npm run tokens -- webhooks add|list|remove|test`: the alerts' endpoints managed from a terminal, through
 * the same routes token-admin serves; the secret printed once and never again.
 */
import { afterAll, describe, expect, it } from "vitest";
import { db } from "../helpers/stack.ts";
import { runCli } from "../helpers/tokens-cli.ts";

const sql = db();
const created: string[] = [];
afterAll(async () => {
  if (created.length) await sql`delete from public.webhook_endpoints where id = any(${created}::uuid[])`;
  await sql.end();
});

describe("tokens webhooks", () => {
  it("adds, lists, tests and removes an endpoint; the secret appears only when it is made", async () => {
    const add = await runCli(["webhooks", "add", "http://127.0.0.1:9/cli-hook", "--format", "slack", "--events", "connection.needs_reauth", "--json"]);
    expect(add.code, add.stderr).toBe(0);
    const made = JSON.parse(add.stdout);
    created.push(made.endpoint.id);
    expect(made.secret).toMatch(/^whsec_/);

    const list = await runCli(["webhooks", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).find((e: { id: string }) => e.id === made.endpoint.id))
      .toMatchObject({ url: "http://127.0.0.1:9/cli-hook", format: "slack", events: ["connection.needs_reauth"], enabled: true });
    const text = await runCli(["webhooks", "list"]);
    expect(text.stdout).toContain(made.endpoint.id);
    for (const r of [list, text]) expect(r.stdout + r.stderr).not.toContain(made.secret);

    const test = await runCli(["webhooks", "test", made.endpoint.id, "--json"]);
    expect(test.code, test.stderr).toBe(0);
    const [delivery] = await sql`select endpoint_id from public.webhook_deliveries where id = ${JSON.parse(test.stdout).delivery_id}`;
    expect(delivery?.endpoint_id).toBe(made.endpoint.id);

    const rm = await runCli(["webhooks", "remove", made.endpoint.id]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(await sql`select 1 from public.webhook_endpoints where id = ${made.endpoint.id}`).toHaveLength(0);
  });

  it("refuses bad input with one line and a non-zero exit", async () => {
    for (const args of [
      ["webhooks", "add", "ftp://example.com/x"],
      ["webhooks", "add", "http://127.0.0.1:9/x", "--format", "xml"],
      ["webhooks", "remove", "not-a-uuid"],
      ["webhooks", "remove", "00000000-0000-0000-0000-000000000000"],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr.trim().split("\n").filter((l) => !l.startsWith("(add --help")).length, args.join(" ")).toBe(1);
    }
  });
});
