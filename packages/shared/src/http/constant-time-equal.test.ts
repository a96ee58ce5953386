import { expect, it } from "vitest";
import { constantTimeEqual } from "./constant-time-equal.ts";

it("compares strings of any length", async () => {
  expect(await constantTimeEqual("same-key", "same-key")).toBe(true);
  expect(await constantTimeEqual("same-key", "same-kez")).toBe(false);
  expect(await constantTimeEqual("short", "a much longer string")).toBe(false);
  expect(await constantTimeEqual("", "")).toBe(true);
});
