import { describe, expect, it, vi } from "vitest";
import { batchedSink, LOG_FLUSH_INTERVAL_MS, MAX_LOG_MESSAGE_CHARS } from "./batched-sink.ts";

const turn = () => new Promise((r) => setTimeout(r, 5));

describe("batchedSink", () => {
  it("writes the lines of one turn together, in order, and nothing before the turn ends", async () => {
    const writes: string[] = [];
    const sink = batchedSink((t) => writes.push(t), { intervalMs: 0 });
    sink("a");
    sink("b");
    expect(writes).toEqual([]);
    await turn();
    sink("c");
    await turn();
    expect(writes).toEqual(["a\nb", "c"]);
  });

  it("never joins more than maxChars into one write; a longer line goes alone", async () => {
    const writes: string[] = [];
    const sink = batchedSink((t) => writes.push(t), { maxChars: 9, intervalMs: 0 });
    for (const l of ["1111", "2222", "3", "444444444444"]) sink(l);
    // "1111\n2222" is 9 characters: the limit; "3" would make it 11.
    expect(writes).toEqual(["1111\n2222", "3"]);
    await turn();
    expect(writes).toEqual(["1111\n2222", "3", "444444444444"]);
    expect(writes.slice(0, 2).every((w) => w.length <= 9)).toBe(true);
  });

  it("keeps each write of a busy turn under the platform's message limit", async () => {
    const writes: string[] = [];
    const sink = batchedSink((t) => writes.push(t), { intervalMs: 0 });
    const line = JSON.stringify({ level: "info", event: "refreshed", provider: "spotify", pad: "x".repeat(150) });
    for (let i = 0; i < 1000; i++) sink(line);
    await turn();
    expect(writes.join("\n").split("\n")).toHaveLength(1000);
    expect(Math.max(...writes.map((w) => w.length))).toBeLessThanOrEqual(MAX_LOG_MESSAGE_CHARS);
    expect(writes.length).toBeLessThan(30);
  });

  it("by default holds lines for LOG_FLUSH_INTERVAL_MS across turns, then writes them in one go", async () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      const sink = batchedSink((t) => writes.push(t));
      sink("a");
      await vi.advanceTimersByTimeAsync(LOG_FLUSH_INTERVAL_MS - 1);
      sink("b");
      expect(writes).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(writes).toEqual(["a\nb"]);
      sink("c");
      await vi.advanceTimersByTimeAsync(LOG_FLUSH_INTERVAL_MS);
      expect(writes).toEqual(["a\nb", "c"]);
    } finally {
      vi.useRealTimers();
    }
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
