import { describe, expect, it } from "vitest";
import type { Sql } from "../db/create-sql.ts";
import { createAccessCounter } from "./access-counter.ts";

/** A stand-in for the tagged-template client that records each statement's values. */
function recordingSql() {
  const calls: unknown[][] = [];
  const sql = ((_strings: TemplateStringsArray, ...values: unknown[]) => {
    calls.push(values);
    return Promise.resolve([]);
  }) as unknown as Sql;
  return { sql, calls };
}

describe("createAccessCounter", () => {
  it("writes one upsert per connection with served, service and refused counts", async () => {
    const { sql, calls } = recordingSql();
    const counter = createAccessCounter(() => sql, 60_000);
    counter.count({ connectionId: "a", by: "user", outcome: "served" });
    counter.count({ connectionId: "a", by: "service", outcome: "served" });
    counter.count({ connectionId: "a", by: "service", outcome: "served" });
    counter.count({ connectionId: "a", by: "user", outcome: "refused" });
    counter.count({ connectionId: "b", by: "service", outcome: "refused" });
    await counter.flush();
    expect(calls).toEqual([["a", 3, 2, 1], ["b", 0, 0, 1]]);
    await counter.flush();
    expect(calls).toHaveLength(2);
  });

  it("loses nothing counted while a flush is running", async () => {
    const { sql, calls } = recordingSql();
    const counter = createAccessCounter(() => sql, 60_000);
    counter.count({ connectionId: "a", by: "user", outcome: "served" });
    const flushing = counter.flush();
    counter.count({ connectionId: "a", by: "user", outcome: "served" });
    await flushing;
    await counter.flush();
    expect(calls).toEqual([["a", 1, 0, 0], ["a", 1, 0, 0]]);
  });
});
