import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.ts";

function fakeStream(tty: boolean) {
  const chunks: string[] = [];
  const stream = {
    isTTY: tty, columns: 100,
    write: (c: string) => { chunks.push(String(c)); return true; },
    cursorTo: () => true, clearLine: () => true, moveCursor: () => true,
    on: () => stream, removeListener: () => stream, off: () => stream,
  };
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join("") };
}

describe("createProgress", () => {
  it("writes plain lines off a terminal, at most one a second, and always the last", () => {
    const { stream, text } = fakeStream(false);
    const p = createProgress("rotate", stream);
    p.update(0, 10);
    for (let i = 1; i < 10; i++) p.update(i, 10);
    p.update(10, 10);
    p.stop();
    expect(text()).toBe("rotate: 0/10\nrotate: 10/10\n");
  });

  it("draws a bar on a terminal", () => {
    const { stream, text } = fakeStream(true);
    const p = createProgress("import", stream);
    p.update(5, 10);
    p.stop();
    expect(text()).toMatch(/import \[.*\] 50% \| 5\/10/);
  });

  it("stays silent when asked (--json)", () => {
    const { stream, text } = fakeStream(false);
    const p = createProgress("x", stream, true);
    p.update(1, 1);
    p.stop();
    expect(text()).toBe("");
  });
});
