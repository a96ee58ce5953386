import { expect, it } from "vitest";
import { SingleFlight } from "./single-flight.ts";

it("runs the work once for concurrent callers with one key, and again afterwards", async () => {
  const sf = new SingleFlight<number>();
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const work = async () => { runs += 1; await gate; return runs; };
  const all = Promise.all(Array.from({ length: 50 }, () => sf.run("a", work)));
  const other = sf.run("b", async () => 99);
  release();
  expect(await all).toEqual(Array(50).fill(1));
  expect(await other).toBe(99);
  expect(sf.size).toBe(0);
  expect(await sf.run("a", work)).toBe(2);
});

it("shares a failure with every waiter and forgets it", async () => {
  const sf = new SingleFlight<number>();
  const results = await Promise.allSettled([1, 2, 3].map(() => sf.run("k", async () => { throw new Error("boom"); })));
  expect(results.every((r) => r.status === "rejected")).toBe(true);
  expect(await sf.run("k", async () => 7)).toBe(7);
});
