import { describe, expect, it } from "vitest";
import { batchedSink } from "./batched-sink.ts";

const turn = () => new Promise((r) => setTimeout(r, 5));

describe("batchedSink", () => {
  it("writes the lines of one turn together, in order, and nothing before the turn ends", async () => {
    const writes: string[] = [];
    const sink = batchedSink((t) => writes.push(t));
    sink("a");
    sink("b");
    expect(writes).toEqual([]);
    await turn();
    sink("c");
    await turn();
    expect(writes).toEqual(["a\nb", "c"]);
  });

  it("writes at once when maxLines wait", async () => {
    const writes: string[] = [];
    const sink = batchedSink((t) => writes.push(t), 3);
    for (const l of ["1", "2", "3", "4"]) sink(l);
    expect(writes).toEqual(["1\n2\n3"]);
    await turn();
    expect(writes).toEqual(["1\n2\n3", "4"]);
  });

  it("flush writes what waits at once", () => {
    const writes: string[] = [];
    const sink = batchedSink((t) => writes.push(t));
    sink("x");
    sink.flush();
    expect(writes).toEqual(["x"]);
    sink.flush();
    expect(writes).toEqual(["x"]);
  });
});
